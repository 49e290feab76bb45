-- One database per service: no service reads another's tables.
CREATE DATABASE IF NOT EXISTS clouddrive_user CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS clouddrive_file CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS clouddrive_storage CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS clouddrive_share CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS clouddrive_notify CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
