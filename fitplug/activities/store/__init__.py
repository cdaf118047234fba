"""fitplug's state: one SQLite file (:mod:`.store`), its schema (:mod:`.migrations`), the file itself
(:mod:`.sqlfile`: private creation, read-only opening, errors as words) and a rebuild after damage
(:mod:`.rebuild`)."""
