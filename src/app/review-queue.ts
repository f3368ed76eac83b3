import { visibilityFilter } from '../core/access/actor.ts';
import { requirePermission } from './access.ts';
import type { AppDeps, RequestContext } from './context.ts';
import type { InboundRecord } from './ports.ts';

/**
 * The staff review queue: replies Wardline could not act on alone (unclear, wrong number, unknown sender), of the
 * patients the caller may see — filtered in SQL and under row-level security (issue 5 item 3).
 * @param deps - app dependencies
 * @param ctx - the caller; needs `consent.manage` (a refusal is audited)
 * @param q - flagged replies only or not, and how many
 */
export async function listReviewQueue(deps: AppDeps, ctx: RequestContext, q: { needsReview: boolean; limit: number }): Promise<InboundRecord[]> {
  await requirePermission(deps.store, ctx, 'consent.manage');
  const visibility = visibilityFilter(ctx.actor);
  return deps.store.asViewer(visibility, (viewer) => viewer.inbound.list({ needsReview: q.needsReview, visibility, limit: q.limit }));
}
