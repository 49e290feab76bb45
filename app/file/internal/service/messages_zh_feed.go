package service

import "clouddrive/pkg/apierror"

// Chinese messages of the change feed's and the versions' reasons.
func init() {
	apierror.RegisterChinese(map[string]string{
		"CURSOR_RESET":      "变更游标已过期：请重新列出文件，再从新的游标开始",
		"INVALID_CURSOR":    "变更游标无效：请从空游标开始",
		"VERSION_NOT_FOUND": "该文件没有这个历史版本",
	})
}
