package service

import "clouddrive/pkg/apierror"

// Chinese messages of the file service's reasons.
func init() {
	apierror.RegisterChinese(map[string]string{
		"NODE_NOT_FOUND":     "文件或文件夹不存在",
		"PARENT_NOT_FOUND":   "目标文件夹不存在",
		"NAME_CONFLICT":      "该文件夹中已有名为「{name}」的项目",
		"INVALID_NAME":       "名称不合法：{detail}",
		"NOT_A_FOLDER":       "目标不是文件夹",
		"MOVE_INTO_SELF":     "不能把文件夹移动或复制到它自身或其子文件夹中",
		"QUOTA_EXCEEDED":     "空间不足",
		"INVALID_PAGE_TOKEN": "分页标记无效",
		"NOT_IN_TRASH":       "该项目不在回收站中",
		"IN_TRASH":           "该项目在回收站中",
	})
}
