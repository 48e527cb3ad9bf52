"""The mail outbox: letters are stored in the transaction that decides them and sent after."""
