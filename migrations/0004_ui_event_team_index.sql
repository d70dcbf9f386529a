-- The web view's team filter: membership events name their team only inside the envelope.
CREATE INDEX `events_team_slug_idx` ON `events` (json_extract(envelope, '$.data.team.slug'),`sequence`);
