-- One database per service: no service reads another's tables.
CREATE DATABASE IF NOT EXISTS clouddrive_user CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS clouddrive_file CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS clouddrive_storage CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS clouddrive_share CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS clouddrive_notify CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- The services' account (MYSQL_USER, made by the image before this script):
-- every service database. Flink CDC has its own account (cdc-user.sh).
GRANT ALL PRIVILEGES ON `clouddrive\_%`.* TO 'clouddrive'@'%';
