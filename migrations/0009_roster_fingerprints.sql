CREATE TABLE `team_fingerprints` (
	`team_slug` text PRIMARY KEY NOT NULL,
	`members` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `users` ADD `fingerprint` text;