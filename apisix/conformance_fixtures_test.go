package apisix

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// routeCase is one transcoded route's request: the query (GET/DELETE) or
// JSON body (POST), with {placeholders} filled from each side's fixtures,
// and the headers besides Authorization (APISIX proxies every request
// header to the upstream as gRPC metadata). token names the fixture whose
// access token the call carries instead of the user's own; reason, in
// errorOnly, says why the route cannot succeed here.
type routeCase struct {
	query, body, token, reason string
	headers                    map[string]string
}

// routeCases: each call must succeed on both sides, so what is compared is
// two successful answers. The routes run in apisix.yaml's order, once per
// side, each state-changing one on its own fixture.
var routeCases = map[string]routeCase{
	"file.FileAdmin.GetQuota":          {query: "user_id={user_id}"},
	"file.FileAdmin.SetQuota":          {body: `{"user_id":"{user_id}","limit_bytes":"1000000000"}`},
	"storage.StorageAdmin.Scrub":       {body: `{"limit":10}`},
	"user.Admin.DisableUser":           {body: `{"user_id":"{victim_id}"}`},
	"user.Admin.EnableUser":            {body: `{"user_id":"{victim_id}"}`},
	"user.Admin.ListUsers":             {query: "query={user}"},
	"file.File.ListChanges":            {query: "cursor={cursor}&page_size=100"},
	"file.File.WaitChanges":            {query: "cursor={cursor}&timeout_seconds=1"},
	"storage.Storage.DownloadURL":      {body: `{"id":"{file}"}`},
	"storage.Storage.ZipURL":           {body: `{"ids":["{file}","{folder}"],"name":"both"}`},
	"file.File.Copy":                   {body: `{"ids":["{file}"],"parent_id":"{folder}"}`},
	"file.File.Delete":                 {body: `{"ids":["{deleteme}"]}`},
	"file.File.List":                   {query: "order_by=name&page_size=50"},
	"file.File.Mkdir":                  {body: `{"name":"made","parent_id":"{folder}"}`},
	"file.File.Move":                   {body: `{"ids":["{moveme}"],"parent_id":"{folder}"}`},
	"file.File.Path":                   {query: "id={file}"},
	"file.File.Purge":                  {body: `{"ids":["{purgeme}"]}`},
	"file.File.Rename":                 {body: `{"id":"{renameme}","name":"renamed.txt"}`},
	"file.File.Restore":                {body: `{"ids":["{restoreme}"]}`},
	"file.File.Search":                 {query: "q=hello"},
	"file.File.Stat":                   {query: "id={file}"},
	"file.File.Trash":                  {query: "page_size=50"},
	"file.File.EmptyTrash":             {body: `{}`},
	"file.File.Usage":                  {},
	"file.File.ListVersions":           {query: "node_id={file}"},
	"file.File.RestoreVersion":         {body: `{"node_id":"{file}","version_id":"{version}"}`},
	"notify.Notify.ListNotifications":  {query: "page_size=20"},
	"notify.Notify.MarkRead":           {body: `{"ids":["{notification}"]}`},
	"notify.Notify.UnreadCount":        {},
	"share.Share.BrowseShare":          {query: "page_size=20", headers: map[string]string{"X-Share-Token": "{share_access}"}},
	"share.Share.CreateShare":          {body: `{"node_id":"{folder}","generate_code":true,"expires_in_seconds":"3600"}`},
	"share.Share.DownloadShare":        {body: `{"node_id":"{file}"}`, headers: map[string]string{"X-Share-Token": "{share_access}"}},
	"share.Share.ListShares":           {query: "page_size=20"},
	"share.Share.OpenShare":            {body: `{"token":"{share}"}`},
	"share.Share.ReceivedShares":       {query: "page_size=20"},
	"share.Share.RevokeShare":          {body: `{"token":"{share_revoke}"}`},
	"share.Share.SaveShare":            {body: `{"node_ids":["{file}"],"parent_id":"{folder}"}`, headers: map[string]string{"X-Share-Token": "{share_access}"}},
	"share.Share.ShareThumbnails":      {body: `{"ids":["{file}"]}`, headers: map[string]string{"X-Share-Token": "{share_access}"}},
	"storage.Thumbnails.ThumbnailURLs": {body: `{"ids":["{file}"]}`},
	"storage.Storage.AbortUpload":      {body: `{"upload_id":"{upload_abort}"}`},
	"storage.Storage.CompleteUpload":   {body: `{"upload_id":"{upload_complete}"}`},
	"storage.Storage.InitUpload":       {body: `{"name":"init.bin","size":"16","content_hash":"{init_hash}"}`},
	"storage.Storage.ProveUpload":      {body: `{"upload_id":"{upload_prove}","proof":"{proof}"}`},
	"storage.Storage.UploadStatus":     {query: "upload_id={upload}"},
	"user.User.CreateAppPassword":      {body: `{"name":"laptop"}`},
	"user.User.ListAppPasswords":       {},
	"user.User.RevokeAppPassword":      {body: `{"id":"{app_password}"}`},
	"user.User.CodeLogin":              {body: `{"target":"{user}c@example.com","code":"{code}"}`},
	"user.User.SendCode":               {body: `{"target":"{user}@example.com"}`},
	"user.User.Login":                  {body: `{"username":"{user}","password":"correct horse battery"}`},
	"user.User.Logout":                 {body: `{"refresh_token":"{refresh_logout}"}`},
	"user.User.Me":                     {},
	// On an account of its own: a new password ends the account's other
	// sessions, which later routes (Refresh) still need.
	"user.User.ChangePassword":  {body: `{"old_password":"correct horse battery","new_password":"correct horse battery 2"}`, token: "pw_token"},
	"user.User.UpdateProfile":   {body: `{"nickname":"gateway"}`},
	"user.User.SignInProviders": {},
	"user.User.Refresh":         {body: `{"refresh_token":"{refresh}"}`},
	"user.User.Register":        {body: `{"username":"{user}n","password":"correct horse battery"}`},
	"user.User.ListSessions":    {},
	"user.User.RevokeSession":   {body: `{"id":"{session}"}`},
}

// errorOnly: routes that cannot succeed here without an outside party; they
// are still sent (with a well-formed request) and compared on their error.
var errorOnly = map[string]routeCase{
	"user.User.OAuthExchange": {body: `{"ticket":"not-a-ticket"}`,
		reason: "a ticket is minted by the GitHub OAuth callback, and GitHub is not reachable here"},
	"user.User.OAuthLinkURL": {body: `{}`,
		reason: "GitHub OAuth has no client id configured in the standalone drive"},
	"user.User.OAuthLinkConfirm": {body: `{"ticket":"not-a-ticket"}`,
		reason: "a ticket is minted by the GitHub OAuth callback, and GitHub is not reachable here"},
}

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// fill replaces each {name} with the side's fixture; a name it lacks fails.
func fill(t *testing.T, s string, vals map[string]string, escape func(string) string) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		v, ok := vals[m[1:len(m)-1]]
		if !ok {
			t.Fatalf("no fixture %s", m)
		}
		return escape(v)
	})
}

// fixtures makes, over HTTP as this user, the objects the route cases act
// on; both users get the same set, so their answers have the same shape.
func fixtures(t *testing.T, d *drive, user, tok string) map[string]string {
	t.Helper()
	call := func(method, uri, body string, hdr map[string]string) map[string]any {
		t.Helper()
		ctype := ""
		if body != "" && method != "PUT" {
			ctype = "application/json"
		}
		code, b := d.doWith(t, method, uri, tok, ctype, body, hdr)
		if code != 200 {
			t.Fatalf("fixture %s %s: %d %s", method, uri, code, b)
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("fixture %s %s: %s: %v", method, uri, b, err)
		}
		return out
	}
	str := func(v any) string { return fmt.Sprint(v) }
	v := map[string]string{"user": user}
	v["user_id"] = str(call("GET", "/v1/user/me", "", nil)["id"])
	v["cursor"] = str(call("GET", "/v1/changes?latest=true", "", nil)["cursor"])

	upload := func(name, content string) string {
		return str(call("PUT", "/v1/upload/file?name="+url.QueryEscape(name), content, nil)["id"])
	}
	v["file"] = upload("hello.txt", "hello, gateway\n")
	v["folder"] = str(call("POST", "/v1/file/mkdir", `{"name":"photos"}`, nil)["id"])
	for _, n := range []string{"renameme", "moveme", "deleteme", "purgeme", "restoreme"} {
		v[n] = upload(n+".txt", "fixture "+n+"\n")
	}
	call("POST", "/v1/file/delete", fmt.Sprintf(`{"ids":[%q,%q]}`, v["purgeme"], v["restoreme"]), nil)
	// A second version of hello.txt, so there is one to restore.
	call("PUT", "/v1/upload/file?name=hello.txt&on_conflict=version", "hello again, gateway\n", nil)
	versions, _ := call("GET", "/v1/file/versions?node_id="+v["file"], "", nil)["versions"].([]any)
	if len(versions) == 0 {
		t.Fatalf("fixture: hello.txt has no old version")
	}
	v["version"] = str(versions[0].(map[string]any)["id"])

	v["share"] = str(call("POST", "/v1/share/create", fmt.Sprintf(`{"node_id":%q}`, v["file"]), nil)["token"])
	v["share_revoke"] = str(call("POST", "/v1/share/create", fmt.Sprintf(`{"node_id":%q}`, v["file"]), nil)["token"])
	v["share_access"] = str(call("POST", "/v1/share/open", fmt.Sprintf(`{"token":%q}`, v["share"]), nil)["access_token"])

	// Upload sessions: content unique to the user (same length for both),
	// so nothing becomes an instant upload.
	content := func(purpose string) (string, string) {
		c := fmt.Sprintf("%-8s%-8s", purpose, user)[:16]
		block := sha256.Sum256([]byte(c))
		h := sha256.Sum256(block[:])
		return c, hex.EncodeToString(h[:])
	}
	initUpload := func(purpose string) string {
		_, h := content(purpose)
		return str(call("POST", "/v1/upload/init", fmt.Sprintf(`{"name":"%s.bin","size":16,"content_hash":%q}`, purpose, h), nil)["upload_id"])
	}
	v["upload"] = initUpload("status")
	v["upload_abort"] = initUpload("abort")
	v["upload_complete"] = initUpload("complete")
	c, _ := content("complete")
	if code, b := d.doWith(t, "PUT", "/v1/upload/"+v["upload_complete"]+"/0", tok, "application/octet-stream", c, nil); code != 200 && code != 204 {
		t.Fatalf("fixture chunk: %d %s", code, b)
	}
	_, v["init_hash"] = content("init")

	// An instant upload of hello.txt's first content, which the drive
	// holds: the proof is SHA-256(nonce ‖ each challenged range), as the CLI
	// computes it.
	hello := "hello, gateway\n"
	block := sha256.Sum256([]byte(hello))
	helloHash := sha256.Sum256(block[:])
	sess := call("POST", "/v1/upload/init", fmt.Sprintf(`{"name":"proved.txt","size":%d,"content_hash":%q}`,
		len(hello), hex.EncodeToString(helloHash[:])), nil)
	v["upload_prove"] = str(sess["upload_id"])
	ch, _ := sess["challenge"].(map[string]any)
	nonce, err := hex.DecodeString(fmt.Sprint(ch["nonce"]))
	if err != nil || len(nonce) == 0 {
		t.Fatalf("fixture: no instant-upload challenge for stored content: %v", sess)
	}
	h := sha256.New()
	h.Write(nonce)
	ranges, _ := ch["ranges"].([]any)
	for _, r := range ranges {
		m := r.(map[string]any)
		off, _ := strconv.Atoi(fmt.Sprint(m["offset"]))
		n, _ := strconv.Atoi(fmt.Sprint(m["length"]))
		h.Write([]byte(hello[off : off+n]))
	}
	v["proof"] = hex.EncodeToString(h.Sum(nil))

	v["app_password"] = str(call("POST", "/v1/user/app_password", `{"name":"old"}`, nil)["app_password"].(map[string]any)["id"])

	// Sessions: one to revoke (the only one besides this token's), then one
	// refresh token to log out and one to refresh.
	login := func(name string) map[string]any {
		code, b := d.do(t, "POST", "/v1/user/login", "", "application/json",
			fmt.Sprintf(`{"username":%q,"password":"correct horse battery"}`, name))
		var out map[string]any
		if err := json.Unmarshal(b, &out); code != 200 || err != nil {
			t.Fatalf("fixture login %s: %d %s", name, code, b)
		}
		return out
	}
	login(user)
	sessions, _ := call("GET", "/v1/user/session/list", "", nil)["sessions"].([]any)
	for _, s := range sessions {
		if m := s.(map[string]any); m["current"] != true {
			v["session"] = str(m["id"])
		}
	}
	v["refresh_logout"] = str(login(user)["refresh_token"])
	v["refresh"] = str(login(user)["refresh_token"])

	// An account for the admin to disable and enable.
	if code, b := d.do(t, "POST", "/v1/user/register", "", "application/json",
		fmt.Sprintf(`{"username":"%sv","password":"correct horse battery"}`, user)); code != 200 {
		t.Fatalf("fixture register: %d %s", code, b)
	}
	v["victim_id"] = str(login(user + "v")["user"].(map[string]any)["id"])
	// An account to change the password of.
	if code, b := d.do(t, "POST", "/v1/user/register", "", "application/json",
		fmt.Sprintf(`{"username":"%sp","password":"correct horse battery"}`, user)); code != 200 {
		t.Fatalf("fixture register: %d %s", code, b)
	}
	v["pw_token"] = str(login(user + "p")["access_token"])

	// A sign-in code: on one machine the drive "delivers" it to
	// codes.log in its data directory, as if by mail.
	target := user + "c@example.com"
	call("POST", "/v1/user/code/send", fmt.Sprintf(`{"target":%q}`, target), nil)
	logged, err := os.ReadFile(filepath.Join(d.dataDir, "codes.log"))
	if err != nil {
		t.Fatalf("fixture code: %v", err)
	}
	for _, m := range regexp.MustCompile(`to=(\S+) code=(\S+)`).FindAllStringSubmatch(string(logged), -1) {
		if m[1] == target {
			v["code"] = m[2]
		}
	}
	return v
}

// shareWith shares a's file with b by name, so that b gets a notification
// and a received share; called both ways, it leaves both sides alike.
func shareWith(t *testing.T, d *drive, tok, fileID, recipient string) {
	t.Helper()
	if code, b := d.do(t, "POST", "/v1/share/create", tok, "application/json",
		fmt.Sprintf(`{"node_id":%q,"recipient":%q}`, fileID, recipient)); code != 200 {
		t.Fatalf("fixture share with %s: %d %s", recipient, code, b)
	}
}

// firstNotification waits for the notification a recipient share sends
// (delivered asynchronously) and returns its id.
func firstNotification(t *testing.T, d *drive, tok string) string {
	t.Helper()
	for i := 0; i < 200; i++ {
		_, b := d.do(t, "GET", "/v1/notify/list", tok, "", "")
		var out struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if json.Unmarshal(b, &out) == nil && len(out.Items) > 0 {
			return out.Items[0].ID
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("fixture: the recipient share sent no notification in 10s")
	return ""
}
