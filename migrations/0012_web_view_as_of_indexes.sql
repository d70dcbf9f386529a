DROP INDEX `memberships_valid_from_idx`;--> statement-breakpoint
DROP INDEX `memberships_valid_to_idx`;--> statement-breakpoint
CREATE INDEX `memberships_current_team_idx` ON `memberships` (`team_slug`,`valid_to`) WHERE valid_to IS NULL;--> statement-breakpoint
CREATE INDEX `memberships_valid_to_idx` ON `memberships` (`valid_to`,`valid_from`,`username_key`,`team_slug`);--> statement-breakpoint
DROP INDEX `users_valid_from_idx`;--> statement-breakpoint
DROP INDEX `users_valid_to_idx`;--> statement-breakpoint
CREATE INDEX `users_valid_to_idx` ON `users` (`valid_to`,`valid_from`,`username_key`);--> statement-breakpoint
CREATE INDEX `runs_started_idx` ON `runs` (`started_at`);