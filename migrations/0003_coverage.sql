CREATE TABLE `findings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`data` text NOT NULL,
	`first_seen` text NOT NULL,
	`resolved_at` text,
	`first_run_id` integer NOT NULL,
	`last_run_id` integer NOT NULL,
	FOREIGN KEY (`first_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`last_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `findings_open_uq` ON `findings` (`key`) WHERE resolved_at IS NULL;--> statement-breakpoint
CREATE INDEX `findings_kind_idx` ON `findings` (`kind`,`resolved_at`);--> statement-breakpoint
CREATE TABLE `policies` (
	`row_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`team_slug` text NOT NULL,
	`steps` text NOT NULL,
	`valid_from` text NOT NULL,
	`valid_to` text,
	`from_run_id` integer NOT NULL,
	`to_run_id` integer,
	FOREIGN KEY (`from_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `policies_current_uq` ON `policies` (`slug`) WHERE valid_to IS NULL;--> statement-breakpoint
CREATE INDEX `policies_slug_from_idx` ON `policies` (`slug`,`valid_from`);--> statement-breakpoint
CREATE TABLE `team_schedules` (
	`team_slug` text PRIMARY KEY NOT NULL,
	`team_name` text NOT NULL,
	`shifts` text NOT NULL,
	`fetched_at` text NOT NULL,
	`run_id` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `runs` ADD `kind` text DEFAULT 'roster' NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `policy_count` integer;--> statement-breakpoint
CREATE INDEX `runs_kind_idx` ON `runs` (`kind`,`id`);