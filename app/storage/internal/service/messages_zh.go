package service

import "clouddrive/pkg/apierror"

// Chinese messages of the storage service's reasons.
func init() {
	apierror.RegisterChinese(map[string]string{
		"UPLOAD_NOT_FOUND":    "上传任务不存在",
		"CHUNKS_MISSING":      "还有分片未上传：{missing}",
		"HASH_MISMATCH":       "文件内容与其哈希不符，请重新上传",
		"DIGEST_MISMATCH":     "分片内容与 Content-Digest 不符，已丢弃",
		"BAD_CHUNK":           "分片序号或长度不正确",
		"PROOF_REJECTED":      "秒传校验未通过，请上传文件内容",
		"UPLOAD_CLOSED":       "该上传任务已结束、已取消或已过期",
		"FILE_NOT_FOUND":      "文件不存在",
		"LINK_INVALID":        "下载链接无效或已过期",
		"ZIP_TOO_LARGE":       "所选内容超过打包下载的上限",
		"BLOB_BUSY":           "文件正在处理中，请稍后重试",
		"FILE_TOO_LARGE":      "文件超过大小上限",
		"UPLOAD_COMPLETING":   "上传正在完成，分块已不能再更改",
		"CHUNK_BUSY":          "该分块正由另一个请求写入，请稍后重试",
		"CONTENT_QUARANTINED": "该文件存储的内容未通过完整性校验，已暂停提供",
		"NO_THUMBNAIL":        "该文件没有缩略图",
	})
}
