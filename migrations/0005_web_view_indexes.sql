-- The web view: the timeline pages newest first by (time, sequence) under each filter, and the
-- roster diff reads the rows opened or closed after an instant; every one an index range.
CREATE INDEX `events_type_time_idx` ON `events` (`type`,`time`);--> statement-breakpoint
CREATE INDEX `events_subject_time_idx` ON `events` (`subject`,`time`);--> statement-breakpoint
CREATE INDEX `events_team_slug_time_idx` ON `events` (json_extract(envelope, '$.data.team.slug'),`time`);--> statement-breakpoint
CREATE INDEX `memberships_valid_from_idx` ON `memberships` (`valid_from`);--> statement-breakpoint
CREATE INDEX `memberships_valid_to_idx` ON `memberships` (`valid_to`);--> statement-breakpoint
CREATE INDEX `users_valid_from_idx` ON `users` (`valid_from`);
