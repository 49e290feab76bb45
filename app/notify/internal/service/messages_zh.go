package service

import "clouddrive/pkg/apierror"

// Chinese messages of the notify service's reasons.
func init() {
	apierror.RegisterChinese(map[string]string{
		"NOTIFICATION_NOT_FOUND": "通知不存在",
	})
}
