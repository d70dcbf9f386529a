CREATE TABLE `identity_findings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`username_key` text,
	`data` text NOT NULL,
	`first_seen` text NOT NULL,
	`resolved_at` text,
	`first_run_id` integer NOT NULL,
	`last_run_id` integer NOT NULL,
	FOREIGN KEY (`first_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`last_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `identity_findings_open_uq` ON `identity_findings` (`key`) WHERE resolved_at IS NULL;--> statement-breakpoint
CREATE INDEX `identity_findings_user_idx` ON `identity_findings` (`username_key`,`resolved_at`);--> statement-breakpoint
CREATE INDEX `identity_findings_kind_idx` ON `identity_findings` (`kind`,`resolved_at`);--> statement-breakpoint
CREATE TABLE `identity_sources` (
	`name` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`last_count` integer,
	`last_success_at` text,
	`last_attempt_at` text NOT NULL,
	`last_read` integer DEFAULT 0 NOT NULL,
	`failing_since` text,
	`last_error` text,
	`held_reads` integer DEFAULT 0 NOT NULL
);
