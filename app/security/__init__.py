"""Who may do what, and how hard they may push: tokens, signed links, sessions, security
headers, request and body limits, failed-login accounting, CSV cell neutralising."""
