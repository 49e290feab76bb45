package service

import "clouddrive/pkg/apierror"

// Chinese messages of the share service's reasons, and of the file
// service's reasons that pass through it (the same text as app/file's, so
// the service says them in Chinese when it runs alone too).
func init() {
	apierror.RegisterChinese(map[string]string{
		"SHARE_NOT_FOUND":     "分享不存在",
		"SHARE_REVOKED":       "该分享已被取消",
		"SHARE_EXPIRED":       "该分享已过期",
		"SHARE_LIMIT_REACHED": "该分享的下载次数已用完",
		"SHARE_GONE":          "分享的文件已被删除，或分享者的账号已停用",
		"CODE_WRONG":          "提取码错误",
		"SHARE_TOKEN_INVALID": "分享访问凭证无效或已过期，请重新打开分享",
		"NOT_IN_SHARE":        "该项目不在此分享中",
		"RECIPIENT_NOT_FOUND": "接收人「{recipient}」不存在",

		"NODE_NOT_FOUND":   "文件或文件夹不存在",
		"PARENT_NOT_FOUND": "目标文件夹不存在",
		"NAME_CONFLICT":    "该文件夹中已有名为「{name}」的项目",
		"QUOTA_EXCEEDED":   "空间不足",
	})
}
