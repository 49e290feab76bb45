package service

import "clouddrive/pkg/apierror"

// Chinese messages of the user service's reasons; English ones are written
// where the errors are made.
func init() {
	apierror.RegisterChinese(map[string]string{
		"USER_NOT_FOUND":      "用户不存在",
		"USERNAME_TAKEN":      "用户名已被占用",
		"EMAIL_TAKEN":         "该邮箱已被使用",
		"PHONE_TAKEN":         "该手机号已被使用",
		"INVALID_CREDENTIALS": "用户名或密码错误",
		"WEAK_PASSWORD":       "密码强度不足",
		// One message per rule of biz.CheckPasswordStrength (metadata.rule).
		"WEAK_PASSWORD.min_length":        "密码强度不足：至少 8 个字符",
		"WEAK_PASSWORD.max_length":        "密码强度不足：最多 72 个字节",
		"WEAK_PASSWORD.classes":           "密码强度不足：请混合小写字母、大写字母、数字、符号中的至少两类",
		"WEAK_PASSWORD.common":            "密码强度不足：这是常见密码，容易被猜到",
		"WEAK_PASSWORD.contains_username": "密码强度不足：密码不能包含用户名",
		"USER_DISABLED":                   "该账号已被停用",
		"REFRESH_TOKEN_INVALID":           "刷新令牌无效或已过期，请重新登录",
		"REFRESH_TOKEN_REUSED":            "刷新令牌已被使用，该会话已退出，请重新登录",
		"CODE_INVALID":                    "验证码错误",
		"CODE_EXPIRED":                    "验证码已过期，请重新获取",
		"CODE_TOO_MANY_ATTEMPTS":          "验证码错误次数过多，请重新获取",
		"CODE_RESEND_TOO_SOON":            "请 {retry_after_seconds} 秒后再获取验证码",
		"INVALID_TARGET":                  "请输入邮箱地址或带国家码的手机号（如 +8613800138000）",
		"SEND_FAILED":                     "验证码发送失败，请稍后再试",
		"OAUTH_FAILED":                    "第三方登录失败，请重试",
		"OAUTH_DISABLED":                  "未启用 GitHub 登录",
		"OAUTH_ALREADY_LINKED":            "该 GitHub 账号已绑定其他账号",
		"SESSION_NOT_FOUND":               "会话不存在",
		"APP_PASSWORD_NOT_FOUND":          "应用密码不存在",
	})
}
