package service

import "clouddrive/pkg/apierror"

// Chinese messages of the file service's reasons.
func init() {
	apierror.RegisterChinese(map[string]string{
		"NODE_NOT_FOUND":   "文件或文件夹不存在",
		"PARENT_NOT_FOUND": "目标文件夹不存在",
		"NAME_CONFLICT":    "该文件夹中已有名为「{name}」的项目",
		"INVALID_NAME":     "名称不合法",
		// One message per rule of biz.ValidateName (metadata.rule).
		"INVALID_NAME.empty":    "名称不合法：名称不能为空",
		"INVALID_NAME.too_long": "名称不合法：名称不能超过 255 个字节",
		"INVALID_NAME.not_utf8": "名称不合法：名称不是有效的 UTF-8 文本",
		"INVALID_NAME.dots":     "名称不合法：“.” 和 “..” 不能用作名称",
		"INVALID_NAME.slash":    "名称不合法：名称不能包含 “/”",
		"INVALID_NAME.blank":    "名称不合法：名称不能只有空格或不可见字符",
		"INVALID_NAME.control":  "名称不合法：名称不能包含控制字符",
		"INVALID_NAME.bidi":     "名称不合法：名称不能包含文字方向控制字符",
		"NOT_A_FOLDER":          "目标不是文件夹",
		"MOVE_INTO_SELF":        "不能把文件夹移动或复制到它自身或其子文件夹中",
		"QUOTA_EXCEEDED":        "空间不足",
		"INVALID_PAGE_TOKEN":    "分页标记无效",
		"NOT_IN_TRASH":          "该项目不在回收站中",
		"IN_TRASH":              "该项目在回收站中",
	})
}
