CREATE TABLE `user_exports` (
	`user_id` text PRIMARY KEY NOT NULL,
	`chain` integer NOT NULL,
	`last_seq` integer NOT NULL,
	`events` integer NOT NULL,
	`segments` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `backups` ADD `users` integer;--> statement-breakpoint
ALTER TABLE `backups` ADD `events` integer;--> statement-breakpoint
CREATE INDEX `audit_log_created` ON `audit_log` (`created_at`);