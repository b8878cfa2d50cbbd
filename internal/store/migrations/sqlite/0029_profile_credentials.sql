-- kapstone schema 0029: a staff profile's credentials become the account's
-- (issue 15, after 0026). Since 0026 the account holds a person's
-- credentials (users.credentials) and saving a profile copies its
-- credentials there; profiles saved before 0026 kept theirs only in
-- staff_profiles.credentials, so the staff app showed those people without
-- them. Copy a non-empty profile's credentials, trimmed, into an account
-- whose credentials are empty; an account's own are left as they are.

UPDATE users SET credentials = (SELECT trim(sp.credentials) FROM staff_profiles sp WHERE sp.user_id = users.id)
    WHERE credentials = '' AND role <> 'patient'
        AND EXISTS (SELECT 1 FROM staff_profiles sp WHERE sp.user_id = users.id AND trim(sp.credentials) <> '');
