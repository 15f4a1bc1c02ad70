-- Urgent alert groups: a delivery that folds later alerts of a group the
-- recipient was already told of is a follow-up; follow_up_since is when
-- the newest alert they were told of occurred (Unix ns; 0: not a follow-up).
ALTER TABLE alert_deliveries ADD COLUMN follow_up_since INTEGER NOT NULL DEFAULT 0;
