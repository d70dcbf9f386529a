CREATE TABLE `routing_keys` (
	`row_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`routing_key` text NOT NULL,
	`is_default` integer NOT NULL,
	`targets` text NOT NULL,
	`valid_from` text NOT NULL,
	`valid_to` text,
	`from_run_id` integer NOT NULL,
	`to_run_id` integer,
	FOREIGN KEY (`from_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `routing_keys_current_uq` ON `routing_keys` (`routing_key`) WHERE valid_to IS NULL;--> statement-breakpoint
CREATE INDEX `routing_keys_key_from_idx` ON `routing_keys` (`routing_key`,`valid_from`);