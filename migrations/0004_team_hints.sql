CREATE TABLE `team_hints` (
	`team_slug` text PRIMARY KEY NOT NULL,
	`version` integer,
	`member_count` integer,
	`read_at_ms` integer NOT NULL,
	`run_id` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `team_hints_read_idx` ON `team_hints` (`read_at_ms`);