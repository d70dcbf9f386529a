-- The web view's search index (0010) rewrote an entity's row and its FTS5 trigrams for every new
-- version of a user, team or policy, even when none of the text the search reads had changed (a
-- password change, a verified flag, a user re-added as they were): the FTS5 'delete' of the old
-- text and the insert of the same text again are most of a new user version's write cost (issue 21,
-- docs/benchmarks.md "twenty-first part"). The triggers are the same but for two conditions: the
-- entity row is updated only when one of its columns differs, and the trigram row is rewritten only
-- when the body differs. What the index holds is the same either way. Written by hand: drizzle-kit
-- has no form for triggers.
DROP TRIGGER `search_entities_au`;--> statement-breakpoint
CREATE TRIGGER `search_entities_au` AFTER UPDATE ON `search_entities` WHEN OLD.`body` IS NOT NEW.`body` BEGIN
	INSERT INTO `search_text` (`search_text`, `rowid`, `body`) VALUES ('delete', OLD.`id`, OLD.`body`);
	INSERT INTO `search_text` (`rowid`, `body`) VALUES (NEW.`id`, NEW.`body`);
END;--> statement-breakpoint
DROP TRIGGER `search_users_ai`;--> statement-breakpoint
CREATE TRIGGER `search_users_ai` AFTER INSERT ON `users` BEGIN
	INSERT INTO `search_entities` (`kind`, `key`, `ref`, `name`, `detail`, `body`)
	VALUES ('user', NEW.`username_key`, NEW.`username`, trim(coalesce(NEW.`first_name`, '') || ' ' || coalesce(NEW.`last_name`, '')), NEW.`email`,
		NEW.`username` || ' ' || coalesce(NEW.`first_name`, '') || ' ' || coalesce(NEW.`last_name`, '') || ' ' || coalesce(NEW.`display_name`, '') || ' ' || coalesce(NEW.`email`, ''))
	ON CONFLICT (`kind`, `key`) DO UPDATE SET `ref` = excluded.`ref`, `name` = excluded.`name`, `detail` = excluded.`detail`, `body` = excluded.`body`
	WHERE `search_entities`.`ref` IS NOT excluded.`ref` OR `search_entities`.`name` IS NOT excluded.`name`
		OR `search_entities`.`detail` IS NOT excluded.`detail` OR `search_entities`.`body` IS NOT excluded.`body`;
END;--> statement-breakpoint
DROP TRIGGER `search_teams_ai`;--> statement-breakpoint
CREATE TRIGGER `search_teams_ai` AFTER INSERT ON `teams` BEGIN
	INSERT INTO `search_entities` (`kind`, `key`, `ref`, `name`, `detail`, `body`)
	VALUES ('team', NEW.`slug`, NEW.`slug`, NEW.`name`, NULL, NEW.`slug` || ' ' || NEW.`name`)
	ON CONFLICT (`kind`, `key`) DO UPDATE SET `name` = excluded.`name`, `body` = excluded.`body`
	WHERE `search_entities`.`name` IS NOT excluded.`name` OR `search_entities`.`body` IS NOT excluded.`body`;
END;--> statement-breakpoint
DROP TRIGGER `search_policies_ai`;--> statement-breakpoint
CREATE TRIGGER `search_policies_ai` AFTER INSERT ON `policies` BEGIN
	INSERT INTO `search_entities` (`kind`, `key`, `ref`, `name`, `detail`, `body`)
	VALUES ('policy', NEW.`slug`, NEW.`slug`, NEW.`name`, NEW.`team_slug`, NEW.`slug` || ' ' || NEW.`name`)
	ON CONFLICT (`kind`, `key`) DO UPDATE SET `name` = excluded.`name`, `detail` = excluded.`detail`, `body` = excluded.`body`
	WHERE `search_entities`.`name` IS NOT excluded.`name` OR `search_entities`.`detail` IS NOT excluded.`detail`
		OR `search_entities`.`body` IS NOT excluded.`body`;
END;
