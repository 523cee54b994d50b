"""Payment provider clients (WeChat Pay API v3, Alipay) behind one small interface."""
