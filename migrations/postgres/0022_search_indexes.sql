-- The consoles' account search at a province's size (a million accounts): each word of a
-- query is the start of a name or of the login ID, a range over one of these indexes, and a
-- registration number is found through its own; before, `LIKE '%q%'` read every account.
CREATE INDEX accounts_search_family ON accounts ((LOWER(family_name) COLLATE "C"));
CREATE INDEX accounts_search_given ON accounts ((LOWER(given_name) COLLATE "C"));
CREATE INDEX accounts_search_legal_family ON accounts ((LOWER(legal_family_name) COLLATE "C"));
CREATE INDEX accounts_search_legal_given ON accounts ((LOWER(legal_given_name) COLLATE "C"));
CREATE INDEX accounts_search_login ON accounts ((login_id_lower COLLATE "C"));
CREATE INDEX designations_number ON professional_designations ((LOWER(registration_number)));
