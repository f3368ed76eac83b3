import { computeDeadlines, dueReminders, type Deadline } from '../core/incidents/deadlines.ts';
import type { IncidentState } from '../core/incidents/incident.ts';
import type { PatientId } from '../core/ids.ts';
import type { AppDeps } from './context.ts';
import { sweepMissedDetections } from './incident-detection.ts';
import { createPeriodicJob, type PeriodicJob } from './periodic-job.ts';

/**
 * Deadline reminders (issue 7 item 4): as the notice deadlines of an open or decided incident approach (30, 14, 7,
 * 3, 1 and 0 days before, then overdue), each reminder is recorded once (incident_reminder) and raised as a security
 * event `incident.deadline-reminder`, which the security webhook delivers to the security officer. Notices are due
 * without unreasonable delay and within 60 days of discovery (45 CFR 164.404(b)); the annual log within 60 days of
 * the year's end (164.408(c)). The container runs this every WARDLINE_INCIDENT_REMINDER_MINUTES; tests call it with a
 * fixed clock.
 */

/** Whether the notice a deadline asks for is already recorded. */
function recorded(s: IncidentState, d: Deadline): boolean {
  switch (d.kind) {
    case 'individual':
      return s.notices.some((n) => n.kind === 'individual' && n.method === 'substitute-notice') || s.affectedPatientIds.every((p) => s.notices.some((n) => n.kind === 'individual' && n.patientId === p));
    case 'media':
      return s.notices.some((n) => n.kind === 'media' && n.state === d.state);
    case 'hhs':
    case 'annual-log':
      return s.notices.some((n) => n.kind === d.kind);
  }
}

/**
 * Raises the reminders due now, once each.
 * @param deps - app dependencies (its clock is "now")
 * @returns how many reminders were raised
 */
export async function raiseIncidentReminders(deps: AppDeps): Promise<number> {
  const now = deps.clock.now();
  let raised = 0;
  for (const id of await deps.store.incidents.running()) {
    try {
      raised += await deps.store.transaction(async (tx) => {
        const record = await tx.incidents.get(id, { forUpdate: true });
        if (record === null || record.state.discoveredAt === null) return 0;
        const s = record.state;
        // Decided as no breach (low probability, an exclusion, a false alarm): no notice is due.
        if (s.decision !== null && s.decision.outcome !== 'breach') return 0;
        const deadlines = computeDeadlines({
          discoveredAt: s.discoveredAt,
          affectedCount: s.affectedPatientIds.length,
          residentsByState: s.residentsByState,
          lawEnforcementDelayUntil: s.lawEnforcementDelay?.until ?? null,
          timeZone: record.timeZone,
        });
        // A notice already recorded needs no reminder.
        const open = deadlines.filter((d) => !recorded(s, d));
        const due = dueReminders(open, now, record.timeZone, await tx.incidents.reminderKeys(id));
        let count = 0;
        for (const r of due) {
          if (!(await tx.incidents.addReminder(id, r.key, now))) continue;
          count += 1;
          const patientId = (s.affectedPatientIds.length === 1 ? s.affectedPatientIds[0] ?? null : null) as PatientId | null;
          await tx.audit.append({ actor: { type: 'system', id: 'wardline' }, action: 'incident.reminder-raised', outcome: 'success', targetType: 'incident', targetId: id, patientId, reason: r.key, requestId: null, details: { dueDate: r.deadline.dueDate, daysLeft: r.daysLeft } });
          await tx.securityEvents.record({ kind: 'incident.deadline-reminder', occurredAt: now, principalId: null, patientId, details: { incidentId: id, notice: r.deadline.kind, state: r.deadline.state, dueDate: r.deadline.dueDate, daysLeft: r.daysLeft, rule: r.deadline.rule } });
        }
        return count;
      });
    } catch (error) {
      // One incident's failure must not stop the others' reminders; it is tried again at the next run.
      deps.logger.error({ incidentId: id, errorName: error instanceof Error ? error.name : 'unknown' }, 'incident reminders failed');
    }
  }
  return raised;
}

/**
 * The incident timer: retries missed detections, then raises the reminders due.
 * @param deps - app dependencies
 * @param intervalMs - how often (WARDLINE_INCIDENT_REMINDER_MINUTES; 0: never in this process)
 */
export function createIncidentReminderTimer(deps: AppDeps, intervalMs: number): PeriodicJob {
  return createPeriodicJob('incident reminders', intervalMs, () => sweepMissedDetections(deps).then(() => raiseIncidentReminders(deps)), deps.logger);
}
