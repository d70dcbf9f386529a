ALTER TABLE `team_fingerprints` ADD `member_keys` text;
--> statement-breakpoint
-- Back-fill: each recorded team's current members (username keys of current users, sorted, joined
-- by a newline), as loadCurrentRoster reads them. The poll trusts a list only while it hashes to the
-- team's fingerprint and the fingerprints describe the latest roster run; otherwise it reads the
-- memberships, so a list written here for a stale fingerprint is never used.
UPDATE `team_fingerprints` SET `member_keys` = COALESCE((
	SELECT group_concat(m.`username_key`, char(10) ORDER BY m.`username_key`)
	FROM `memberships` m
	JOIN `users` u ON u.`username_key` = m.`username_key` AND u.`valid_to` IS NULL
	WHERE m.`team_slug` = `team_fingerprints`.`team_slug` AND m.`valid_to` IS NULL
), '');
