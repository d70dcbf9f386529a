ALTER TABLE `identity_sources` ADD `last_active` integer;--> statement-breakpoint
ALTER TABLE `identity_sources` ADD `last_inactive` integer;--> statement-breakpoint
ALTER TABLE `identity_sources` ADD `held_fingerprint` text;--> statement-breakpoint
ALTER TABLE `identity_sources` ADD `status_column_seen` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `identity_sources` ADD `unknown_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `identity_sources` ADD `unknown_statuses` text DEFAULT '[]' NOT NULL;