"""Support ticket texts for the demo database; some carry personal data in free text on purpose."""

from __future__ import annotations

# (subject, first message); placeholders come from the account holder.
TICKETS: tuple[tuple[str, str], ...] = (
    (
        "Cannot receive email on my phone",
        "Hello, since this morning my phone says the server is not responding. "
        "My mailbox is {mailbox}. Can you check? {first}",
    ),
    (
        "Please increase my storage quota",
        "My mailbox {mailbox} is almost full. What does more storage cost? Regards, {name}",
    ),
    (
        "Change of billing address",
        "We have moved. Please put {street}, {postcode} {city} on future invoices. Thanks, {name}",
    ),
    (
        "Login from an address I do not know",
        "I got a sign-in notification from an IP I do not recognise. Was my account hacked? "
        "Please call me on {phone}. {name}",
    ),
    (
        "Emails land in the recipients' spam folder",
        "Mail from {mailbox} to some business partners ends up as spam. Is my domain set up "
        "correctly (SPF, DKIM)? {first}",
    ),
    (
        "Migrating from Gmail",
        "How do I import ten years of mail into {mailbox}? Is there a tool? Best, {first}",
    ),
    (
        "Cancel my subscription",
        "Please cancel my plan at the end of the billing period. {name}",
    ),
    (
        "Lost my phone with the two-factor app",
        "My phone was stolen and my authenticator app is gone. My number was {phone}. "
        "How can I sign in again? {name}",
    ),
    (
        "Invoice needs our VAT ID",
        "Our accountant needs our VAT ID on the invoices. Can you add it? {name}",
    ),
    (
        "Add a mailbox for a new colleague",
        "We hired someone. How do I add another mailbox next to {mailbox}? {first}",
    ),
)

AGENT_REPLIES: tuple[str, ...] = (
    "Hello {first}, thank you for writing to us. We have looked into it and everything should "
    "work again now. Could you confirm? Mara from Postlicht support",
    "Hi {first}, thanks for your patience. I have passed this on to our mail team and will get "
    "back to you within one business day. Jonas, Postlicht support",
    "Dear {first}, this is done. You will find the details in your account settings. "
    "Kind regards, Aylin from Postlicht support",
    "Hello {first}, to protect your account we need to confirm it is you. Please reply from the "
    "address registered on your account. Postlicht support",
)

CUSTOMER_FOLLOW_UPS: tuple[str, ...] = (
    "Thank you, it works now.",
    "It still does not work, I tried again just now.",
    "Great, many thanks for the quick help! {first}",
    "Here is the screenshot you asked for. {name}",
)
