ALTER TABLE `user_exports` ADD `audit_key` text;--> statement-breakpoint
ALTER TABLE `user_exports` ADD `audit_entries` integer;