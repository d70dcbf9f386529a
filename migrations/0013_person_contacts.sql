CREATE TABLE `contact_reads` (
	`username_key` text PRIMARY KEY NOT NULL,
	`read_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `person_contacts` (
	`row_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username_key` text NOT NULL,
	`username` text NOT NULL,
	`methods` text NOT NULL,
	`paging_policy` text NOT NULL,
	`valid_from` text NOT NULL,
	`valid_to` text,
	`from_run_id` integer NOT NULL,
	`to_run_id` integer,
	FOREIGN KEY (`from_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `person_contacts_current_uq` ON `person_contacts` (`username_key`) WHERE valid_to IS NULL;--> statement-breakpoint
CREATE INDEX `person_contacts_key_from_idx` ON `person_contacts` (`username_key`,`valid_from`);