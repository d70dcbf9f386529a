DROP INDEX `users_valid_to_idx`;--> statement-breakpoint
CREATE INDEX `users_key_span_idx` ON `users` (`username_key`,`valid_to`,`valid_from`,`first_name`,`last_name`,`display_name`,`email`,`created_at`,`password_last_updated`,`verified`);--> statement-breakpoint
CREATE INDEX `users_valid_to_idx` ON `users` (`valid_to`,`valid_from`,`username_key`,`first_name`,`last_name`,`display_name`,`email`,`created_at`,`password_last_updated`,`verified`);--> statement-breakpoint
CREATE INDEX `memberships_key_span_idx` ON `memberships` (`username_key`,`team_slug`,`valid_to`,`valid_from`);