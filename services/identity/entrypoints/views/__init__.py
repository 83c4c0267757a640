"""The identity API's resources, one flask-smorest Blueprint each."""
