CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`destination` text NOT NULL,
	`kind` text NOT NULL,
	`event_sequence` integer,
	`run_id` integer,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at_ms` integer NOT NULL,
	`created_at` text NOT NULL,
	`delivered_at` text,
	`last_status_code` integer,
	`last_error` text,
	FOREIGN KEY (`destination`) REFERENCES `destinations`(`name`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`event_sequence`) REFERENCES `events`(`sequence`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `deliveries_due_idx` ON `deliveries` (`status`,`destination`,`next_attempt_at_ms`);--> statement-breakpoint
CREATE INDEX `deliveries_event_idx` ON `deliveries` (`event_sequence`);--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_event_dest_uq` ON `deliveries` (`destination`,`event_sequence`) WHERE kind = 'event';--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_digest_dest_uq` ON `deliveries` (`destination`,`run_id`) WHERE kind = 'digest';--> statement-breakpoint
CREATE TABLE `delivery_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`delivery_id` integer NOT NULL,
	`attempted_at` text NOT NULL,
	`status_code` integer,
	`latency_ms` integer NOT NULL,
	`outcome` text NOT NULL,
	`error` text,
	FOREIGN KEY (`delivery_id`) REFERENCES `deliveries`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `delivery_attempts_delivery_idx` ON `delivery_attempts` (`delivery_id`);--> statement-breakpoint
CREATE TABLE `destinations` (
	`name` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`disabled_at` text,
	`disabled_reason` text
);
--> statement-breakpoint
CREATE TABLE `events` (
	`sequence` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`run_id` integer,
	`type` text NOT NULL,
	`subject` text NOT NULL,
	`time` text NOT NULL,
	`envelope` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_id_unique` ON `events` (`id`);--> statement-breakpoint
CREATE INDEX `events_type_idx` ON `events` (`type`,`sequence`);--> statement-breakpoint
CREATE INDEX `events_subject_idx` ON `events` (`subject`,`sequence`);--> statement-breakpoint
CREATE INDEX `events_time_idx` ON `events` (`time`);--> statement-breakpoint
CREATE INDEX `events_run_idx` ON `events` (`run_id`);--> statement-breakpoint
CREATE TABLE `guard_holds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`first_run_id` integer NOT NULL,
	`last_run_id` integer NOT NULL,
	`roster_hash` text NOT NULL,
	`confirmations` integer NOT NULL,
	`removed_users` integer NOT NULL,
	`known_users` integer NOT NULL,
	`fetched` text NOT NULL,
	`status` text NOT NULL,
	`created_at` text NOT NULL,
	`resolved_at` text,
	FOREIGN KEY (`first_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`last_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `memberships` (
	`row_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username_key` text NOT NULL,
	`username` text NOT NULL,
	`team_slug` text NOT NULL,
	`valid_from` text NOT NULL,
	`valid_to` text,
	`from_run_id` integer NOT NULL,
	`to_run_id` integer,
	FOREIGN KEY (`from_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `memberships_current_uq` ON `memberships` (`username_key`,`team_slug`) WHERE valid_to IS NULL;--> statement-breakpoint
CREATE INDEX `memberships_user_from_idx` ON `memberships` (`username_key`,`valid_from`);--> statement-breakpoint
CREATE INDEX `memberships_team_from_idx` ON `memberships` (`team_slug`,`valid_from`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text NOT NULL,
	`status` text NOT NULL,
	`strategy` text,
	`requests` integer DEFAULT 0 NOT NULL,
	`retries` integer DEFAULT 0 NOT NULL,
	`rate_limited` integer DEFAULT 0 NOT NULL,
	`user_count` integer,
	`team_count` integer,
	`membership_count` integer,
	`failed_scopes` text,
	`change_count` integer DEFAULT 0 NOT NULL,
	`error` text,
	`roster_hash` text
);
--> statement-breakpoint
CREATE INDEX `runs_status_idx` ON `runs` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `teams` (
	`row_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`valid_from` text NOT NULL,
	`valid_to` text,
	`from_run_id` integer NOT NULL,
	`to_run_id` integer,
	FOREIGN KEY (`from_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `teams_current_uq` ON `teams` (`slug`) WHERE valid_to IS NULL;--> statement-breakpoint
CREATE INDEX `teams_slug_from_idx` ON `teams` (`slug`,`valid_from`);--> statement-breakpoint
CREATE TABLE `users` (
	`row_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username_key` text NOT NULL,
	`username` text NOT NULL,
	`first_name` text,
	`last_name` text,
	`display_name` text,
	`email` text,
	`created_at` text,
	`password_last_updated` text,
	`verified` integer,
	`valid_from` text NOT NULL,
	`valid_to` text,
	`from_run_id` integer NOT NULL,
	`to_run_id` integer,
	FOREIGN KEY (`from_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_current_uq` ON `users` (`username_key`) WHERE valid_to IS NULL;--> statement-breakpoint
CREATE INDEX `users_key_from_idx` ON `users` (`username_key`,`valid_from`);--> statement-breakpoint
CREATE INDEX `users_valid_to_idx` ON `users` (`valid_to`);