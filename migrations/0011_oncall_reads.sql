CREATE TABLE `oncall_latest` (
	`team_slug` text PRIMARY KEY NOT NULL,
	`read_id` integer NOT NULL,
	`shifts` text NOT NULL,
	FOREIGN KEY (`read_id`) REFERENCES `oncall_reads`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `oncall_parts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`read_id` integer NOT NULL,
	`team_slug` text NOT NULL,
	`team_name` text NOT NULL,
	`policy_slug` text NOT NULL,
	`policy_name` text NOT NULL,
	`username` text NOT NULL,
	`override_for` text,
	`start_ms` integer NOT NULL,
	`end_ms` integer NOT NULL,
	FOREIGN KEY (`read_id`) REFERENCES `oncall_reads`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `oncall_parts_read_idx` ON `oncall_parts` (`read_id`);--> statement-breakpoint
CREATE INDEX `oncall_parts_team_end_idx` ON `oncall_parts` (`team_slug`,`end_ms`);--> statement-breakpoint
CREATE TABLE `oncall_reads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_slug` text NOT NULL,
	`team_name` text NOT NULL,
	`read_at` text NOT NULL,
	`superseded_at` text,
	`first` integer NOT NULL,
	`shifts` text,
	`run_id` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `oncall_reads_team_read_idx` ON `oncall_reads` (`team_slug`,`read_at`);--> statement-breakpoint
CREATE INDEX `oncall_reads_superseded_idx` ON `oncall_reads` (`superseded_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `oncall_reads_latest_uq` ON `oncall_reads` (`team_slug`) WHERE superseded_at IS NULL;--> statement-breakpoint
-- The snapshot each team's schedule already has becomes its first recorded read: the whole read
-- in oncall_latest, and its shift parts (a first read answers also for the past it showed) for the report.
INSERT INTO `oncall_reads` (`team_slug`, `team_name`, `read_at`, `superseded_at`, `first`, `shifts`, `run_id`)
SELECT `team_slug`, `team_name`, `fetched_at`, NULL, 1, NULL, `run_id` FROM `team_schedules`;--> statement-breakpoint
INSERT INTO `oncall_latest` (`team_slug`, `read_id`, `shifts`)
SELECT s.`team_slug`, r.`id`, s.`shifts` FROM `team_schedules` s JOIN `oncall_reads` r ON r.`team_slug` = s.`team_slug`;--> statement-breakpoint
INSERT INTO `oncall_parts` (`read_id`, `team_slug`, `team_name`, `policy_slug`, `policy_name`, `username`, `override_for`, `start_ms`, `end_ms`)
SELECT * FROM (
  SELECT r.`id`, r.`team_slug`, r.`team_name`,
    json_extract(j.value, '$.policySlug') AS policy_slug, json_extract(j.value, '$.policyName') AS policy_name,
    json_extract(j.value, '$.username') AS username, json_extract(j.value, '$.overrideFor') AS override_for,
    CAST(round(unixepoch(json_extract(j.value, '$.start'), 'subsec') * 1000) AS INTEGER) AS start_ms,
    CAST(round(unixepoch(json_extract(j.value, '$.end'), 'subsec') * 1000) AS INTEGER) AS end_ms
  FROM `oncall_reads` r JOIN `oncall_latest` l ON l.`read_id` = r.`id`, json_each(l.`shifts`) j
  ORDER BY r.`id`, j.`key`
) WHERE start_ms < end_ms AND policy_slug IS NOT NULL AND policy_name IS NOT NULL AND username IS NOT NULL;
