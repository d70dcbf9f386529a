CREATE TABLE `oncall_reads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_slug` text NOT NULL,
	`team_name` text NOT NULL,
	`read_at` text NOT NULL,
	`superseded_at` text,
	`first` integer NOT NULL,
	`shifts` text NOT NULL,
	`run_id` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `oncall_reads_team_read_idx` ON `oncall_reads` (`team_slug`,`read_at`);--> statement-breakpoint
CREATE INDEX `oncall_reads_superseded_idx` ON `oncall_reads` (`superseded_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `oncall_reads_latest_uq` ON `oncall_reads` (`team_slug`) WHERE superseded_at IS NULL;--> statement-breakpoint
-- The snapshot each team's schedule already has becomes its first recorded read.
INSERT INTO `oncall_reads` (`team_slug`, `team_name`, `read_at`, `superseded_at`, `first`, `shifts`, `run_id`)
SELECT `team_slug`, `team_name`, `fetched_at`, NULL, 1, `shifts`, `run_id` FROM `team_schedules`;
