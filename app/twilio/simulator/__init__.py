"""Playing Twilio's part locally: signed webhooks, a media server, a caller walking the TwiML.

Used by `backline simulate-call` for demos and drills, and by the tests as the Twilio stand-in.
"""
