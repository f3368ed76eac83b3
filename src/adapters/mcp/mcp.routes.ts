import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps, RequestContext } from '../../app/context.ts';
import { registerWardlineTools } from './mcp-tools.ts';

/** The MCP endpoint's path on the API server. */
export const MCP_PATH = '/mcp';

/**
 * Wardline as an MCP server over the Streamable HTTP transport, stateless (no session id generator): each POST carries its own bearer token
 * (authenticated by the API's auth hook like any route) and gets a fresh server bound to that caller, so no session
 * outlives a revoked token. GET (a standalone event stream) and DELETE (ending a session) do not apply and answer 405.
 * @param deps - app dependencies
 * @param contextOf - the caller of an authenticated request (the HTTP adapter's `contextOf`)
 * @param version - the server version announced to clients
 */
export function mcpRoutes(deps: AppDeps, contextOf: (request: FastifyRequest) => RequestContext, version: string) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post(MCP_PATH, { schema: { hide: true } }, async (request, reply) => {
      const ctx: RequestContext = { ...contextOf(request), via: 'mcp' };
      const server = new McpServer({ name: 'wardline', version }, { capabilities: { tools: {} } });
      registerWardlineTools(server, deps, ctx);
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      reply.hijack();
      await transport.handleRequest(request.raw, reply.raw, request.body);
    });
    const notAllowed = async (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
      reply.code(405).header('allow', 'POST').send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP server is stateless; use POST.' }, id: null });
    app.get(MCP_PATH, { schema: { hide: true } }, notAllowed);
    app.delete(MCP_PATH, { schema: { hide: true } }, notAllowed);
  };
}
