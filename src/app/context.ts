import type { Actor } from '../core/access/actor.ts';
import type { Organisation } from '../core/consent/keyword-replies.ts';
import type { Logger } from '../logger.ts';
import type { Clock, IdSource, MessagingProvider, Store } from './ports.ts';

/** What every use case may depend on; built once in `container.ts`. */
export interface AppDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  readonly carrier: MessagingProvider;
  readonly settings: {
    readonly defaultRegion: string;
    readonly organisation: Organisation;
  };
  /** Resolves bearer tokens (cached briefly; see `createAuthenticator`). */
  readonly authenticate: (token: string) => Promise<Actor | null>;
  /** Wakes the in-process dispatcher after a commit (no-op when dispatch runs elsewhere). */
  readonly wakeDispatcher: () => void;
}

/** Who is asking, and under which request id (for audit correlation). */
export interface RequestContext {
  readonly actor: Actor;
  readonly requestId: string;
}
