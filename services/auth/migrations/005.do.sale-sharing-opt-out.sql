-- Opt-out of sale or sharing (CCPA/CPRA, #22). We sell and share nothing, but a person's choice
-- is still recorded, with when and how it was made: a browser's Global Privacy Control signal
-- (`Sec-GPC: 1` on a signed-in request) or the person's own setting. NULL: no opt-out recorded.
ALTER TABLE users
  ADD COLUMN sale_sharing_opt_out_at  timestamptz,
  ADD COLUMN sale_sharing_opt_out_via text CHECK (sale_sharing_opt_out_via IN ('gpc', 'account')),
  ADD CONSTRAINT users_sale_sharing_opt_out_has_source
    CHECK ((sale_sharing_opt_out_at IS NULL) = (sale_sharing_opt_out_via IS NULL));
