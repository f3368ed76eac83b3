import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { phi } from '../../../core/phi/phi.ts';
import { parsePhone } from '../../../core/patients/phone-number.ts';
import { DomainError } from '../../../core/errors.ts';
import type { AppDeps } from '../../../app/context.ts';
import { handleInbound } from '../../../app/handle-inbound.ts';
import type { SimulatorProvider } from '../../carriers/simulator/simulator.provider.ts';
import { contextOf } from '../plugins/auth.ts';
import { Channel } from './schemas.ts';

/**
 * The simulated patient phone (development only; never registered in production): a reply comes in as
 * a real carrier's webhook would deliver it, and the phone's screen can be read back.
 */
export function simulatorRoutes(deps: AppDeps, simulator: SimulatorProvider): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/simulator/inbound',
      {
        config: { public: true },
        schema: {
          tags: ['simulator'],
          body: z.object({ from: z.string().min(3).max(40), channel: Channel.default('sms'), body: z.string().max(1600) }).strict(),
        },
      },
      async (request, reply) => {
        const b = request.body;
        const outcome = await handleInbound(deps, { from: phi(b.from), channel: b.channel, body: phi(b.body), providerMessageId: null, origin: { requestId: request.id, sourceAddress: request.ip } });
        return reply.code(202).send(outcome);
      },
    );

    app.post(
      '/v1/simulator/inbox',
      { schema: { tags: ['simulator'], body: z.object({ phone: z.string().min(3).max(40) }).strict() } },
      async (request) => {
        contextOf(request);
        const parsed = parsePhone(request.body.phone, deps.settings.defaultRegion);
        if (!parsed.ok) {
          throw new DomainError('INVALID_PHONE_NUMBER', 'phone is not a valid phone number', { issues: [{ pointer: '/body/phone', message: 'is not a valid phone number' }] });
        }
        return {
          items: simulator.inbox(parsed.e164).map((m) => ({ messageId: m.messageId, channel: m.channel, body: m.body, receivedAt: m.receivedAt.toISOString() })),
        };
      },
    );
  };
}
