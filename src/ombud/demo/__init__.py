"""The demo company Postlicht Mail GmbH: its data map (``datamap/``), its application database
(``appdb``, filled by ``generate.populate``) and the set-up behind ``ombud demo`` (``setup``)."""
