# ruff: noqa: E501  (a table: one key per entry reads better than wrapped lines)
"""Plain words for fideslang keys, in every language Ombud ships: a label and one line of
explanation for each data category, data use and data subject a statement shows.

The data map overrides them per key (``taxonomy:`` entries with ``name``, ``description`` and
``translations: {de: {name, description}}``). A key with no entry borrows its nearest parent's
words, so a statement never shows a raw key such as ``user.contact.email``."""

from __future__ import annotations

from typing import Literal

Kind = Literal["data_category", "data_use", "data_subject"]
Words = tuple[str, str, str, str]  # English label, English explanation, German label, German


CATEGORIES: dict[str, Words] = {
    "user": ("Personal data", "Any information about you.",
             "Personenbezogene Daten", "Alle Angaben über Sie."),
    "user.account": ("Account information", "What belongs to your customer account.",
                     "Kontodaten", "Was zu Ihrem Kundenkonto gehört."),
    "user.account.settings": ("Account settings", "Choices you made in your account, such as the language.",
                              "Kontoeinstellungen", "Was Sie in Ihrem Konto eingestellt haben, etwa die Sprache."),
    "user.account.username": ("Username", "The name you sign in with.",
                              "Benutzername", "Der Name, mit dem Sie sich anmelden."),
    "user.authorization": ("Sign-in data", "What proves it is you when you sign in.",
                           "Anmeldedaten", "Womit Sie sich bei der Anmeldung ausweisen."),
    "user.authorization.credentials": ("Passwords and other credentials", "Secrets you sign in with; we keep only a scrambled form.",
                                       "Passwörter und andere Zugangsdaten", "Geheimnisse für die Anmeldung; wir speichern nur eine verschlüsselte Form."),
    "user.authorization.password": ("Password", "Your password; we keep only a scrambled form (a hash), never the password itself.",
                                    "Passwort", "Ihr Passwort; wir speichern nur eine verschlüsselte Form, nie das Passwort selbst."),
    "user.behavior": ("How you use our service", "Which features you use and when, for example sign-ins.",
                      "Wie Sie unseren Dienst nutzen", "Welche Funktionen Sie wann nutzen, zum Beispiel Anmeldungen."),
    "user.behavior.browsing_history": ("Pages you visited", "Which of our pages you opened and from where you came.",
                                       "Besuchte Seiten", "Welche unserer Seiten Sie aufgerufen haben und woher Sie kamen."),
    "user.behavior.purchase_history": ("Purchase history", "What you bought from us and when.",
                                       "Käufe", "Was Sie wann bei uns gekauft haben."),
    "user.biometric": ("Biometric data", "Physical features such as a fingerprint or face.",
                       "Biometrische Daten", "Körperliche Merkmale wie Fingerabdruck oder Gesicht."),
    "user.contact": ("Contact details", "How to reach you.", "Kontaktdaten", "Wie wir Sie erreichen."),
    "user.contact.address": ("Postal address", "Your street, town and country.",
                             "Postanschrift", "Ihre Straße, Ihr Ort und Ihr Land."),
    "user.contact.address.city": ("Town or city", "The town or city of your address.",
                                  "Ort", "Der Ort Ihrer Anschrift."),
    "user.contact.address.country": ("Country", "The country you live in.", "Land", "Das Land, in dem Sie wohnen."),
    "user.contact.address.postal_code": ("Postcode", "The postcode of your address.",
                                         "Postleitzahl", "Die Postleitzahl Ihrer Anschrift."),
    "user.contact.address.state": ("State or region", "The state or region of your address.",
                                   "Bundesland oder Region", "Das Bundesland oder die Region Ihrer Anschrift."),
    "user.contact.address.street": ("Street address", "Street and house number.",
                                    "Straße und Hausnummer", "Straße und Hausnummer Ihrer Anschrift."),
    "user.contact.email": ("Email address", "The address we write to you at.",
                           "E-Mail-Adresse", "Die Adresse, an die wir Ihnen schreiben."),
    "user.contact.phone_number": ("Phone number", "The number we can call you on.",
                                  "Telefonnummer", "Die Nummer, unter der wir Sie anrufen können."),
    "user.content": ("Content you create", "What you write, upload or store with us.",
                     "Ihre Inhalte", "Was Sie bei uns schreiben, hochladen oder speichern."),
    "user.content.private": ("Your emails, files and messages", "The content of your mailbox and of messages you send us.",
                             "Ihre E-Mails, Dateien und Nachrichten", "Der Inhalt Ihres Postfachs und Ihrer Nachrichten an uns."),
    "user.content.public": ("Content you publish", "What you choose to make public.",
                            "Veröffentlichte Inhalte", "Was Sie selbst öffentlich machen."),
    "user.demographic": ("Demographic data", "Facts such as age or language.",
                         "Demografische Daten", "Angaben wie Alter oder Sprache."),
    "user.demographic.age_range": ("Age range", "Roughly how old you are.", "Altersgruppe", "Ungefähr wie alt Sie sind."),
    "user.demographic.date_of_birth": ("Date of birth", "The day you were born.", "Geburtsdatum", "Ihr Geburtstag."),
    "user.demographic.gender": ("Gender", "The gender you told us.", "Geschlecht", "Das Geschlecht, das Sie angegeben haben."),
    "user.demographic.language": ("Language", "The language you prefer.", "Sprache", "Die Sprache, die Sie bevorzugen."),
    "user.device": ("Device data", "Technical facts about your device and browser, such as its type and settings.",
                    "Gerätedaten", "Technische Angaben zu Ihrem Gerät und Browser, etwa Typ und Einstellungen."),
    "user.device.cookie_id": ("Cookie identifier", "A random number stored in a cookie that recognises your browser.",
                              "Cookie-Kennung", "Eine Zufallszahl in einem Cookie, die Ihren Browser wiedererkennt."),
    "user.device.device_id": ("Device identifier", "A number that recognises your device.",
                              "Gerätekennung", "Eine Nummer, die Ihr Gerät wiedererkennt."),
    "user.device.ip_address": ("IP address", "The internet address your device connects from.",
                               "IP-Adresse", "Die Internetadresse, von der aus sich Ihr Gerät verbindet."),
    "user.financial": ("Financial information", "Payments, invoices and bank details.",
                       "Finanzdaten", "Zahlungen, Rechnungen und Bankverbindung."),
    "user.financial.bank_account": ("Bank account details", "Your IBAN or account number.",
                                    "Bankverbindung", "Ihre IBAN oder Kontonummer."),
    "user.financial.credit_card": ("Payment card details", "Card number, expiry date and card holder.",
                                   "Kartendaten", "Kartennummer, Ablaufdatum und Karteninhaber."),
    "user.government_id": ("Official identity numbers", "Numbers on an ID card, passport or tax number.",
                           "Amtliche Kennnummern", "Nummern von Ausweis, Pass oder Steuer-ID."),
    "user.health_and_medical": ("Health data", "Information about your health.",
                                "Gesundheitsdaten", "Angaben zu Ihrer Gesundheit."),
    "user.location": ("Location", "Where you or your device are.", "Standort", "Wo Sie oder Ihr Gerät sich befinden."),
    "user.location.imprecise": ("Approximate location", "Roughly where you are, such as the city.",
                                "Ungefährer Standort", "Ungefähr wo Sie sind, etwa die Stadt."),
    "user.location.precise": ("Precise location", "Exactly where you are, for example from GPS.",
                              "Genauer Standort", "Genau wo Sie sind, etwa per GPS."),
    "user.name": ("Name", "Your first and last name.", "Name", "Ihr Vor- und Nachname."),
    "user.name.first": ("First name", "Your first name.", "Vorname", "Ihr Vorname."),
    "user.name.last": ("Last name", "Your last name.", "Nachname", "Ihr Nachname."),
    "user.payment": ("Payment information", "How you pay us.", "Zahlungsdaten", "Wie Sie uns bezahlen."),
    "user.privacy_preferences": ("Privacy choices", "Your consents and email choices, and when you made them.",
                                 "Datenschutzeinstellungen", "Ihre Einwilligungen und E-Mail-Wünsche und wann Sie sie erteilt haben."),
    "user.unique_id": ("Customer number and other identifiers", "Numbers we give you to tell accounts apart.",
                       "Kundennummer und andere Kennungen", "Nummern, mit denen wir Konten unterscheiden."),
    "user.unique_id.pseudonymous": ("Pseudonymous identifier", "A number that stands for you without showing who you are.",
                                    "Pseudonyme Kennung", "Eine Nummer, die für Sie steht, ohne zu zeigen, wer Sie sind."),
    "user.sensor": ("Sensor data", "Readings from your device's sensors.", "Sensordaten", "Messwerte der Sensoren Ihres Geräts."),
    "user.workplace": ("Workplace", "Where you work.", "Arbeitsplatz", "Wo Sie arbeiten."),
}  # fmt: skip

USES: dict[str, Words] = {
    "analytics": ("Analytics", "Counting and measuring how our services are used.",
                  "Analyse", "Zählen und Messen, wie unsere Dienste genutzt werden."),
    "analytics.reporting": ("Usage statistics", "Reports on how our services are used.",
                            "Nutzungsstatistik", "Berichte darüber, wie unsere Dienste genutzt werden."),
    "analytics.reporting.content_performance": ("Measuring our website", "Which pages help people and which do not.",
                                                "Messung unserer Website", "Welche Seiten helfen und welche nicht."),
    "essential": ("Running our service", "What we cannot provide the service without.",
                  "Betrieb unseres Dienstes", "Ohne das können wir den Dienst nicht erbringen."),
    "essential.fraud_detection": ("Preventing fraud", "Spotting stolen cards and fake accounts.",
                                  "Betrugsvorbeugung", "Gestohlene Karten und falsche Konten erkennen."),
    "essential.legal_obligation": ("Meeting legal obligations", "What the law requires us to do, such as keeping invoices.",
                                   "Erfüllung gesetzlicher Pflichten", "Was das Gesetz verlangt, etwa Rechnungen aufzubewahren."),
    "essential.service": ("Providing the service", "Running your account and what you signed up for.",
                          "Erbringung des Dienstes", "Ihr Konto und das, wofür Sie sich angemeldet haben."),
    "essential.service.authentication": ("Signing in", "Checking that it is you when you sign in.",
                                         "Anmeldung", "Prüfen, dass Sie es sind, wenn Sie sich anmelden."),
    "essential.service.notifications": ("Service messages", "Messages about your account.",
                                        "Servicenachrichten", "Nachrichten zu Ihrem Konto."),
    "essential.service.notifications.email": ("Service emails", "Emails about your account and the service.",
                                              "Service-E-Mails", "E-Mails zu Ihrem Konto und zum Dienst."),
    "essential.service.operations": ("Operating the service", "Keeping the service running.",
                                     "Betrieb des Dienstes", "Den Dienst am Laufen halten."),
    "essential.service.operations.support": ("Customer support", "Answering your questions.",
                                             "Kundensupport", "Ihre Fragen beantworten."),
    "essential.service.payment_processing": ("Taking payments", "Charging your card or account.",
                                             "Zahlungsabwicklung", "Ihre Karte oder Ihr Konto belasten."),
    "essential.service.security": ("Security", "Protecting accounts and systems against attacks and abuse.",
                                   "Sicherheit", "Konten und Systeme vor Angriffen und Missbrauch schützen."),
    "marketing": ("Marketing", "Telling people about our offers.", "Marketing", "Über unsere Angebote informieren."),
    "marketing.advertising": ("Advertising", "Showing and measuring ads.", "Werbung", "Anzeigen schalten und messen."),
    "marketing.advertising.first_party": ("Our own advertising", "Ads on our own sites.",
                                          "Eigene Werbung", "Anzeigen auf unseren eigenen Seiten."),
    "marketing.advertising.third_party": ("Advertising on other sites", "Ads shown on sites run by others.",
                                          "Werbung auf anderen Websites", "Anzeigen auf Websites anderer."),
    "marketing.advertising.third_party.targeted": ("Targeted advertising on other sites", "Ads chosen and measured with data about your visits.",
                                                   "Zielgerichtete Werbung auf anderen Websites", "Anzeigen, die anhand Ihrer Besuche ausgewählt und gemessen werden."),
    "marketing.communications": ("Marketing messages", "News about our products.",
                                 "Werbenachrichten", "Neuigkeiten zu unseren Produkten."),
    "marketing.communications.email": ("Marketing emails", "Newsletters and product news by email.",
                                       "Werbe-E-Mails", "Newsletter und Produktneuigkeiten per E-Mail."),
    "personalize": ("Personalisation", "Adapting the service to you.", "Personalisierung", "Den Dienst an Sie anpassen."),
    "functional": ("Functional features", "Features you chose, such as remembering your language.",
                   "Funktionen", "Funktionen, die Sie gewählt haben, etwa Ihre Sprache zu merken."),
    "train_ai_system": ("Training AI systems", "Improving automated systems with data.",
                        "Training von KI-Systemen", "Automatische Systeme mit Daten verbessern."),
}  # fmt: skip

SUBJECTS: dict[str, Words] = {
    "anonymous_user": ("Website visitors", "People who visit our website without signing in.",
                       "Besucher unserer Website", "Menschen, die unsere Website ohne Anmeldung besuchen."),
    "customer": ("Customers", "People with an account or contract with us.",
                 "Kunden", "Menschen mit einem Konto oder Vertrag bei uns."),
    "prospect": ("Prospective customers", "People interested in our service, such as newsletter readers.",
                 "Interessenten", "Menschen, die sich für unseren Dienst interessieren, etwa Newsletter-Leser."),
    "employee": ("Employees", "People who work for us.", "Beschäftigte", "Menschen, die für uns arbeiten."),
    "job_applicant": ("Job applicants", "People applying to work for us.", "Bewerber", "Menschen, die sich bei uns bewerben."),
    "supplier_vendor": ("Suppliers", "People at companies that supply us.", "Lieferanten", "Menschen bei Firmen, die uns beliefern."),
    "consultant": ("Consultants", "People advising us.", "Berater", "Menschen, die uns beraten."),
    "citizen_voter": ("Citizens", "Members of the public.", "Bürger", "Die Öffentlichkeit."),
    "visitor": ("Visitors", "People visiting our premises.", "Besucher", "Menschen, die unsere Räume besuchen."),
}  # fmt: skip

TABLES: dict[Kind, dict[str, Words]] = {
    "data_category": CATEGORIES,
    "data_use": USES,
    "data_subject": SUBJECTS,
}


def shipped(kind: Kind, key: str, language: str) -> tuple[str, str] | None:
    """Ombud's label and explanation of ``key`` (or its nearest parent) in ``language``."""
    table = TABLES[kind]
    probe = key
    while probe:
        words = table.get(probe)
        if words is not None:
            return (words[2], words[3]) if language == "de" else (words[0], words[1])
        probe = probe.rpartition(".")[0]
    return None


def own(entry: dict[str, object], language: str) -> tuple[str, str]:
    """The data map's own label and explanation of an entry in ``language`` (blank if none)."""
    name, description = entry.get("name"), entry.get("description")
    translations = entry.get("translations")
    if language != "en" and isinstance(translations, dict):
        words = translations.get(language)
        if isinstance(words, dict):
            name = words.get("name") or None
            description = words.get("description") or None
        else:
            name = description = None
    return (
        name if isinstance(name, str) else "",
        description if isinstance(description, str) else "",
    )
