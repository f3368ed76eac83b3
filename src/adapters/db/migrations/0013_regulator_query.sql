-- The regulator's query (issue 6 item 3): every message to a patient in a period with its sender, the approval of
-- its template and its delivery and read times, as one statement inside the caller's row-level-security scope
-- (src/adapters/db/message-report.repository.ts). The viewer role reads the messages as before; to name senders and
-- approvers it also needs a few columns of the directory and of template versions: names and decisions, never
-- password hashes, permission sets or template text. Staff names and template decisions are not PHI.
GRANT SELECT (id, kind, display_name) ON principal TO wardline_viewer;
GRANT SELECT (id, name, kind) ON template TO wardline_viewer;
GRANT SELECT (id, template_id, version, status, decided_by_type, decided_by_id, decided_at) ON template_version TO wardline_viewer;
