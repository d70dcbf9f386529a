-- The web view's search (/ui/search): one row per user (by username key), team and policy (by
-- slug) with the text it is found by, kept current by triggers on the history tables, and an
-- FTS5 trigram index over that text, so any part of a name, username or email is found case- and
-- accent-insensitively through the index instead of a scan. A removed entity stays findable (its
-- page shows its history). Written by hand: drizzle-kit has no form for virtual tables or triggers.
CREATE TABLE `search_entities` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`ref` text NOT NULL,
	`name` text NOT NULL,
	`detail` text,
	`body` text NOT NULL
);--> statement-breakpoint
CREATE UNIQUE INDEX `search_entities_kind_key_uq` ON `search_entities` (`kind`,`key`);--> statement-breakpoint
CREATE VIRTUAL TABLE `search_text` USING fts5(body, content='search_entities', content_rowid='id', tokenize='trigram remove_diacritics 1');--> statement-breakpoint
INSERT INTO `search_entities` (`kind`, `key`, `ref`, `name`, `detail`, `body`)
	SELECT 'user', `username_key`, `username`, trim(coalesce(`first_name`, '') || ' ' || coalesce(`last_name`, '')), `email`,
		`username` || ' ' || coalesce(`first_name`, '') || ' ' || coalesce(`last_name`, '') || ' ' || coalesce(`display_name`, '') || ' ' || coalesce(`email`, '')
	FROM `users` WHERE true ORDER BY `valid_from`, `row_id`
	ON CONFLICT (`kind`, `key`) DO UPDATE SET `ref` = excluded.`ref`, `name` = excluded.`name`, `detail` = excluded.`detail`, `body` = excluded.`body`;--> statement-breakpoint
INSERT INTO `search_entities` (`kind`, `key`, `ref`, `name`, `detail`, `body`)
	SELECT 'team', `slug`, `slug`, `name`, NULL, `slug` || ' ' || `name`
	FROM `teams` WHERE true ORDER BY `valid_from`, `row_id`
	ON CONFLICT (`kind`, `key`) DO UPDATE SET `name` = excluded.`name`, `body` = excluded.`body`;--> statement-breakpoint
INSERT INTO `search_entities` (`kind`, `key`, `ref`, `name`, `detail`, `body`)
	SELECT 'policy', `slug`, `slug`, `name`, `team_slug`, `slug` || ' ' || `name`
	FROM `policies` WHERE true ORDER BY `valid_from`, `row_id`
	ON CONFLICT (`kind`, `key`) DO UPDATE SET `name` = excluded.`name`, `detail` = excluded.`detail`, `body` = excluded.`body`;--> statement-breakpoint
INSERT INTO `search_text` (`search_text`) VALUES ('rebuild');--> statement-breakpoint
CREATE TRIGGER `search_entities_ai` AFTER INSERT ON `search_entities` BEGIN
	INSERT INTO `search_text` (`rowid`, `body`) VALUES (NEW.`id`, NEW.`body`);
END;--> statement-breakpoint
CREATE TRIGGER `search_entities_au` AFTER UPDATE ON `search_entities` BEGIN
	INSERT INTO `search_text` (`search_text`, `rowid`, `body`) VALUES ('delete', OLD.`id`, OLD.`body`);
	INSERT INTO `search_text` (`rowid`, `body`) VALUES (NEW.`id`, NEW.`body`);
END;--> statement-breakpoint
CREATE TRIGGER `search_users_ai` AFTER INSERT ON `users` BEGIN
	INSERT INTO `search_entities` (`kind`, `key`, `ref`, `name`, `detail`, `body`)
	VALUES ('user', NEW.`username_key`, NEW.`username`, trim(coalesce(NEW.`first_name`, '') || ' ' || coalesce(NEW.`last_name`, '')), NEW.`email`,
		NEW.`username` || ' ' || coalesce(NEW.`first_name`, '') || ' ' || coalesce(NEW.`last_name`, '') || ' ' || coalesce(NEW.`display_name`, '') || ' ' || coalesce(NEW.`email`, ''))
	ON CONFLICT (`kind`, `key`) DO UPDATE SET `ref` = excluded.`ref`, `name` = excluded.`name`, `detail` = excluded.`detail`, `body` = excluded.`body`;
END;--> statement-breakpoint
CREATE TRIGGER `search_teams_ai` AFTER INSERT ON `teams` BEGIN
	INSERT INTO `search_entities` (`kind`, `key`, `ref`, `name`, `detail`, `body`)
	VALUES ('team', NEW.`slug`, NEW.`slug`, NEW.`name`, NULL, NEW.`slug` || ' ' || NEW.`name`)
	ON CONFLICT (`kind`, `key`) DO UPDATE SET `name` = excluded.`name`, `body` = excluded.`body`;
END;--> statement-breakpoint
CREATE TRIGGER `search_policies_ai` AFTER INSERT ON `policies` BEGIN
	INSERT INTO `search_entities` (`kind`, `key`, `ref`, `name`, `detail`, `body`)
	VALUES ('policy', NEW.`slug`, NEW.`slug`, NEW.`name`, NEW.`team_slug`, NEW.`slug` || ' ' || NEW.`name`)
	ON CONFLICT (`kind`, `key`) DO UPDATE SET `name` = excluded.`name`, `detail` = excluded.`detail`, `body` = excluded.`body`;
END;
