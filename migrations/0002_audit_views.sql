-- Views for auditors: plain SQL over the versioned history, usable from the sqlite3 CLI and Datasette.
CREATE VIEW `current_users` AS
SELECT username, first_name, last_name, display_name, email, created_at, password_last_updated, verified,
       valid_from AS known_since
FROM users WHERE valid_to IS NULL;
--> statement-breakpoint
CREATE VIEW `current_memberships` AS
SELECT m.username, m.team_slug, t.name AS team_name, m.valid_from AS member_since
FROM memberships m
LEFT JOIN teams t ON t.slug = m.team_slug AND t.valid_to IS NULL
WHERE m.valid_to IS NULL;
--> statement-breakpoint
CREATE VIEW `current_teams` AS
SELECT t.slug, t.name, t.valid_from AS known_since,
       (SELECT COUNT(*) FROM memberships m WHERE m.team_slug = t.slug AND m.valid_to IS NULL) AS member_count
FROM teams t WHERE t.valid_to IS NULL;
--> statement-breakpoint
CREATE VIEW `change_log` AS
SELECT e.sequence,
       e.time,
       e.type,
       e.subject,
       e.run_id,
       json_extract(e.envelope, '$.data.team.slug') AS team_slug,
       json_extract(e.envelope, '$.data.team.name') AS team_name,
       CASE e.type
         WHEN 'victorops.user.changed' THEN (
           SELECT group_concat(json_extract(c.value, '$.field') || ': ' || COALESCE(json_extract(c.value, '$.before'), 'null')
                               || ' -> ' || COALESCE(json_extract(c.value, '$.after'), 'null'), '; ')
           FROM json_each(json_extract(e.envelope, '$.data.changes')) c)
         WHEN 'victorops.team.changed' THEN json_extract(e.envelope, '$.data.before.name') || ' -> ' || json_extract(e.envelope, '$.data.after.name')
         ELSE NULL
       END AS detail,
       e.id AS event_id
FROM events e;
