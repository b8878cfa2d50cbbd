-- kapstone schema 0026: a staff member's credentials apart from the name
-- (issue 15). Names like "Sam Whitaker, LCSW" were typed into one field and
-- the website added the profile's credentials again ("Sam Whitaker, LCSW,
-- LCSW"). users.credentials holds them now (entered in their own field), and
-- an invitation carries them until it is used. For existing accounts, a
-- trailing ", CRED" is moved out of display_name when CRED is one of the
-- usual licences and degrees below (compared with case, so a name that only
-- looks like one is left alone). substr and length work alike in SQLite and
-- PostgreSQL; the comparisons are exact in both.

ALTER TABLE users ADD COLUMN credentials TEXT NOT NULL DEFAULT '';
ALTER TABLE auth_tokens ADD COLUMN credentials TEXT NOT NULL DEFAULT '';

UPDATE users SET credentials = 'LCSW', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LCSW';
UPDATE users SET credentials = 'LICSW', display_name = substr(display_name, 1, length(display_name) - 7)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 8 AND substr(display_name, length(display_name) - 6) = ', LICSW';
UPDATE users SET credentials = 'LMSW', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LMSW';
UPDATE users SET credentials = 'LMFT', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LMFT';
UPDATE users SET credentials = 'LPC', display_name = substr(display_name, 1, length(display_name) - 5)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 6 AND substr(display_name, length(display_name) - 4) = ', LPC';
UPDATE users SET credentials = 'LPCC', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LPCC';
UPDATE users SET credentials = 'LMHC', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LMHC';
UPDATE users SET credentials = 'LCPC', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LCPC';
UPDATE users SET credentials = 'LPC-S', display_name = substr(display_name, 1, length(display_name) - 7)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 8 AND substr(display_name, length(display_name) - 6) = ', LPC-S';
UPDATE users SET credentials = 'MD', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', MD';
UPDATE users SET credentials = 'DO', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', DO';
UPDATE users SET credentials = 'NP', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', NP';
UPDATE users SET credentials = 'PA-C', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', PA-C';
UPDATE users SET credentials = 'PhD', display_name = substr(display_name, 1, length(display_name) - 5)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 6 AND substr(display_name, length(display_name) - 4) = ', PhD';
UPDATE users SET credentials = 'PsyD', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', PsyD';
UPDATE users SET credentials = 'RN', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', RN';
UPDATE users SET credentials = 'APRN', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', APRN';
UPDATE users SET credentials = 'PMHNP-BC', display_name = substr(display_name, 1, length(display_name) - 10)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 11 AND substr(display_name, length(display_name) - 9) = ', PMHNP-BC';
UPDATE users SET credentials = 'FNP-BC', display_name = substr(display_name, 1, length(display_name) - 8)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 9 AND substr(display_name, length(display_name) - 7) = ', FNP-BC';
UPDATE users SET credentials = 'MSW', display_name = substr(display_name, 1, length(display_name) - 5)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 6 AND substr(display_name, length(display_name) - 4) = ', MSW';
UPDATE users SET credentials = 'MA', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', MA';
UPDATE users SET credentials = 'MS', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', MS';
UPDATE users SET credentials = 'LCADC', display_name = substr(display_name, 1, length(display_name) - 7)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 8 AND substr(display_name, length(display_name) - 6) = ', LCADC';
UPDATE users SET credentials = 'CADC', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', CADC';

-- Invitations not yet used carry the name the same way.
UPDATE auth_tokens SET credentials = 'LCSW', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LCSW';
UPDATE auth_tokens SET credentials = 'LICSW', display_name = substr(display_name, 1, length(display_name) - 7)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 8 AND substr(display_name, length(display_name) - 6) = ', LICSW';
UPDATE auth_tokens SET credentials = 'LMSW', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LMSW';
UPDATE auth_tokens SET credentials = 'LMFT', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LMFT';
UPDATE auth_tokens SET credentials = 'LPC', display_name = substr(display_name, 1, length(display_name) - 5)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 6 AND substr(display_name, length(display_name) - 4) = ', LPC';
UPDATE auth_tokens SET credentials = 'LPCC', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LPCC';
UPDATE auth_tokens SET credentials = 'LMHC', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LMHC';
UPDATE auth_tokens SET credentials = 'LCPC', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', LCPC';
UPDATE auth_tokens SET credentials = 'LPC-S', display_name = substr(display_name, 1, length(display_name) - 7)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 8 AND substr(display_name, length(display_name) - 6) = ', LPC-S';
UPDATE auth_tokens SET credentials = 'MD', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', MD';
UPDATE auth_tokens SET credentials = 'DO', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', DO';
UPDATE auth_tokens SET credentials = 'NP', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', NP';
UPDATE auth_tokens SET credentials = 'PA-C', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', PA-C';
UPDATE auth_tokens SET credentials = 'PhD', display_name = substr(display_name, 1, length(display_name) - 5)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 6 AND substr(display_name, length(display_name) - 4) = ', PhD';
UPDATE auth_tokens SET credentials = 'PsyD', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', PsyD';
UPDATE auth_tokens SET credentials = 'RN', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', RN';
UPDATE auth_tokens SET credentials = 'APRN', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', APRN';
UPDATE auth_tokens SET credentials = 'PMHNP-BC', display_name = substr(display_name, 1, length(display_name) - 10)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 11 AND substr(display_name, length(display_name) - 9) = ', PMHNP-BC';
UPDATE auth_tokens SET credentials = 'FNP-BC', display_name = substr(display_name, 1, length(display_name) - 8)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 9 AND substr(display_name, length(display_name) - 7) = ', FNP-BC';
UPDATE auth_tokens SET credentials = 'MSW', display_name = substr(display_name, 1, length(display_name) - 5)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 6 AND substr(display_name, length(display_name) - 4) = ', MSW';
UPDATE auth_tokens SET credentials = 'MA', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', MA';
UPDATE auth_tokens SET credentials = 'MS', display_name = substr(display_name, 1, length(display_name) - 4)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 5 AND substr(display_name, length(display_name) - 3) = ', MS';
UPDATE auth_tokens SET credentials = 'LCADC', display_name = substr(display_name, 1, length(display_name) - 7)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 8 AND substr(display_name, length(display_name) - 6) = ', LCADC';
UPDATE auth_tokens SET credentials = 'CADC', display_name = substr(display_name, 1, length(display_name) - 6)
    WHERE purpose = 'invite' AND role <> 'patient' AND credentials = '' AND length(display_name) > 7 AND substr(display_name, length(display_name) - 5) = ', CADC';
