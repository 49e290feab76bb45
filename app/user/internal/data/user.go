package data

import (
	"context"
	"strings"

	"clouddrive/app/user/internal/biz"
)

type userRepo struct{ d *Data }

var _ biz.UserRepo = (*userRepo)(nil)

// NewUserRepo returns the gorm UserRepo.
func NewUserRepo(d *Data) biz.UserRepo { return &userRepo{d: d} }

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toUser(m *userModel) *biz.User {
	u := &biz.User{ID: m.ID, Username: m.Username, Nickname: m.Nickname, Email: m.Email, Role: m.Role,
		Disabled: m.Disabled, EmailVerified: m.EmailVerified, EmailNotifications: m.EmailNotifications,
		PasswordHash: m.PasswordHash, CreatedAt: m.CreatedAt}
	if m.Phone != nil {
		u.Phone = *m.Phone
	}
	return u
}

func (r *userRepo) Create(ctx context.Context, u *biz.User) (*biz.User, error) {
	m := &userModel{Username: u.Username, UsernameKey: fold(u.Username), Nickname: u.Nickname, NicknameKey: fold(u.Nickname),
		Email: strings.TrimSpace(u.Email), EmailKey: optional(fold(u.Email)), Phone: optional(u.Phone),
		Role: u.Role, PasswordHash: u.PasswordHash, EmailVerified: u.EmailVerified && u.Email != "", EmailNotifications: true}
	if err := r.d.db(ctx).Create(m).Error; err != nil {
		return nil, mapErr(err)
	}
	return toUser(m), nil
}

func (r *userRepo) Taken(ctx context.Context, u *biz.User) (string, error) {
	var n int64
	if err := r.d.db(ctx).Model(&userModel{}).Where("username_key = ?", fold(u.Username)).Count(&n).Error; err != nil || n > 0 {
		return "username", err
	}
	if u.Email != "" {
		if err := r.d.db(ctx).Model(&userModel{}).Where("email_key = ?", fold(u.Email)).Count(&n).Error; err != nil || n > 0 {
			return "email", err
		}
	}
	if u.Phone != "" {
		if err := r.d.db(ctx).Model(&userModel{}).Where("phone = ?", u.Phone).Count(&n).Error; err != nil || n > 0 {
			return "phone", err
		}
	}
	return "username", nil
}

func (r *userRepo) first(ctx context.Context, query string, arg any) (*biz.User, error) {
	var m userModel
	if err := r.d.db(ctx).Where(query, arg).Take(&m).Error; err != nil {
		return nil, mapErr(err)
	}
	return toUser(&m), nil
}

func (r *userRepo) Get(ctx context.Context, id int64) (*biz.User, error) {
	return r.first(ctx, "id = ?", id)
}

func (r *userRepo) FindByUsername(ctx context.Context, username string) (*biz.User, error) {
	return r.first(ctx, "username_key = ?", fold(username))
}

func (r *userRepo) FindByEmail(ctx context.Context, email string) (*biz.User, error) {
	return r.first(ctx, "email_key = ?", fold(email))
}

func (r *userRepo) FindByPhone(ctx context.Context, phone string) (*biz.User, error) {
	return r.first(ctx, "phone = ?", phone)
}

func (r *userRepo) Count(ctx context.Context) (int64, error) {
	var n int64
	err := r.d.db(ctx).Model(&userModel{}).Count(&n).Error
	return n, err
}

func (r *userRepo) UpdateProfile(ctx context.Context, id int64, c biz.ProfileChange) (*biz.User, error) {
	set := map[string]any{}
	if c.Nickname != nil {
		set["nickname"] = *c.Nickname
		set["nickname_key"] = fold(*c.Nickname)
	}
	if c.Email != nil {
		cur, err := r.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if fold(cur.Email) != fold(*c.Email) {
			set["email"] = strings.TrimSpace(*c.Email)
			set["email_key"] = optional(fold(*c.Email))
			set["email_verified"] = false
		}
	}
	if c.EmailNotifications != nil {
		set["email_notifications"] = *c.EmailNotifications
	}
	if len(set) > 0 {
		res := r.d.db(ctx).Model(&userModel{}).Where("id = ?", id).Updates(set)
		if res.Error != nil {
			return nil, mapErr(res.Error)
		}
	}
	return r.Get(ctx, id)
}

func (r *userRepo) UpdatePassword(ctx context.Context, id int64, hash string) error {
	return r.update(ctx, id, map[string]any{"password_hash": hash})
}

func (r *userRepo) SetDisabled(ctx context.Context, id int64, disabled bool) (*biz.User, error) {
	if err := r.update(ctx, id, map[string]any{"disabled": disabled}); err != nil {
		return nil, err
	}
	return r.Get(ctx, id)
}

func (r *userRepo) VerifyEmail(ctx context.Context, id int64, resetPassword bool) error {
	set := map[string]any{"email_verified": true}
	if resetPassword {
		set["password_hash"] = ""
	}
	return r.update(ctx, id, set)
}

func (r *userRepo) update(ctx context.Context, id int64, set map[string]any) error {
	res := r.d.db(ctx).Model(&userModel{}).Where("id = ?", id).Updates(set)
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		// MySQL counts changed rows only: tell "absent" from "unchanged".
		var n int64
		if err := r.d.db(ctx).Model(&userModel{}).Where("id = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return biz.ErrNotFound
		}
	}
	return nil
}

func (r *userRepo) List(ctx context.Context, query string, afterID int64, limit int) ([]*biz.User, error) {
	q := r.d.db(ctx).Where("id > ?", afterID)
	if query = fold(query); query != "" {
		like := "%" + escapeLike(query) + "%"
		q = q.Where(r.d.DB.Where("username_key LIKE ? ESCAPE '!'", like).
			Or("nickname_key LIKE ? ESCAPE '!'", like).
			Or("email_key LIKE ? ESCAPE '!'", like))
	}
	var ms []userModel
	if err := q.Order("id").Limit(limit).Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]*biz.User, len(ms))
	for i := range ms {
		out[i] = toUser(&ms[i])
	}
	return out, nil
}

// escapeLike makes % and _ in a search literal ('!' is the escape).
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}
