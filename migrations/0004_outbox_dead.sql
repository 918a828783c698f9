CREATE TABLE `outbox_dead` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`channel` text NOT NULL,
	`kind` text NOT NULL,
	`attempts` integer NOT NULL,
	`last_error` text NOT NULL,
	`dead_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `outbox_dead_at` ON `outbox_dead` (`dead_at`);--> statement-breakpoint
CREATE INDEX `outbox_dead_user` ON `outbox_dead` (`user_id`);