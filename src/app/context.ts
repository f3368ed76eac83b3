import type { Actor } from '../core/access/actor.ts';
import type { PrincipalId } from '../core/ids.ts';
import type { Organisation } from '../core/consent/keyword-replies.ts';
import type { Logger } from '../logger.ts';
import type { Category, Channel } from '../core/messaging/channel.ts';
import type { AuditExportReader } from './audit-export.ts';
import type { IncidentSettings } from './incidents.ts';
import type { AuditChain, Clock, IdSource, Sender, SignInServices, Store } from './ports.ts';

/** What every use case may depend on; built once in `container.ts`. */
export interface AppDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  /** The configured senders; each channel goes out through the first sender that carries it. */
  readonly senders: readonly Sender[];
  readonly settings: {
    readonly defaultRegion: string;
    readonly organisation: Organisation;
    readonly sendingPolicy: SendingPolicySettings;
    /** The externally visible base URL (secure patient links point at it). */
    readonly publicUrl: string;
    /** How long a break-glass access stays open (WARDLINE_BREAKGLASS_MINUTES; 60 minutes when absent). */
    readonly breakGlassMs?: number;
    /**
     * How often the whole audit chain is verified (WARDLINE_AUDIT_VERIFY_HOURS); a report may rely on a full run this
     * recent and check only the tail. Absent or 0: every report verifies in full.
     */
    readonly auditVerifyMs?: number;
    /** Incident response: the hospital's contact details on notice letters (WARDLINE_HOSPITAL_*); demo values when absent. */
    readonly incidents?: IncidentSettings;
  };
  /** Resolves bearer tokens (cached briefly; see `createAuthenticator`). */
  readonly authenticate: (token: string) => Promise<Actor | null>;
  /**
   * Drops this process's cached access of one principal, or of everyone (a permission set changed), so the change
   * applies at the next request here (other processes within WARDLINE_TOKEN_CACHE_MS).
   */
  readonly forgetAccess: (principalId?: PrincipalId) => void;
  /** Staff sign-in settings and services (issue 5 item 1); absent where no browser signs in. */
  readonly signIn?: SignInServices;
  /** Wakes the in-process dispatcher after a commit (no-op when dispatch runs elsewhere). */
  readonly wakeDispatcher: () => void;
  /** The audit trail's hash chain: verification and export coverage (docs/audit.md). */
  readonly auditChain: AuditChain;
  /** Paged reads for audit exports (docs/audit-export.md). */
  readonly auditExport: AuditExportReader;
}

/** The sending policy (see `SendingPolicy` in config.ts). */
export interface SendingPolicySettings {
  readonly quietHours: { readonly start: string; readonly end: string } | 'off';
  readonly quietHoursBypass: readonly Category[];
  readonly defaultTimeZone: string;
  readonly exemptCategories: readonly Category[];
  readonly pacingMargin: number;
  readonly phi: { readonly clinical: 'secure' | 'block'; readonly identifier: 'secure' | 'block' };
  readonly secureLinkTtlMs: number;
  /** Sends (attempts) each AI agent may make per minute (see agent-policy.ts). */
  readonly agentSendsPerMinute: number;
}

/**
 * @param deps - app dependencies
 * @param channel - a channel
 * @returns the sender that carries it, or null when none is configured
 */
export function senderFor(deps: Pick<AppDeps, 'senders'>, channel: Channel): Sender | null {
  return deps.senders.find((s) => s.channels.includes(channel)) ?? null;
}

/** Through which interface a request came: the REST API (bearer token), the console (session cookie), MCP, or the CLI. */
export type Interface = 'api' | 'console' | 'mcp' | 'cli';

/** Who is asking, through which interface, and under which request id (for audit correlation). */
export interface RequestContext {
  readonly actor: Actor;
  readonly requestId: string;
  readonly via: Interface;
  /** Where the request came from (the client's IP address; `cli` for the command line), recorded on every audit event. */
  readonly sourceAddress: string | null;
  /** For an agent or integration: the user it says it acts for (the `On-Behalf-Of` header), recorded as its claim. */
  readonly onBehalfOf?: string | null;
}

/** @param ctx - the caller @returns the audit event fields that say where a request came from */
export function auditOrigin(ctx: RequestContext): { requestId: string; sourceAddress: string | null; onBehalfOf: string | null } {
  return { requestId: ctx.requestId, sourceAddress: ctx.sourceAddress, onBehalfOf: ctx.onBehalfOf ?? null };
}
