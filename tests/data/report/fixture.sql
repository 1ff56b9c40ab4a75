-- Fixture for tests/unit/test_report.c: a small cxflow database in the schema of docs/SINKS.md.
-- 40 records over 21 days (2026-11-01 .. 2026-11-21 UTC) in en, de, es, fa, bn, ta (+1 'und');
-- clusters: 11 "refund not received" (7 records + 3 of cluster 14, merged into it), 12 "app crash
-- login" (8, one with a <script> text), 13 "courier late" (5, no stored examples), 16 "price increase"
-- (2), 15 retired (none).  Expected order in the report: 11, 12, 13, 16.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE records (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, "offset" INTEGER NOT NULL,
  id TEXT NOT NULL, ts INTEGER NOT NULL,
  channel TEXT, product TEXT, region TEXT,
  lang TEXT, lang_conf REAL,
  score REAL, score_kind TEXT,
  text TEXT NOT NULL, meta TEXT,
  sentiment REAL, label TEXT,
  signals TEXT, explain TEXT,
  tokens TEXT, n_tokens INTEGER,
  cluster_id INTEGER, stored_at INTEGER NOT NULL,
  PRIMARY KEY (topic, partition, "offset"));
CREATE TABLE record_themes (
  topic TEXT, partition INTEGER, "offset" INTEGER, theme TEXT, weight REAL, sentiment REAL,
  PRIMARY KEY (topic, partition, "offset", theme));
CREATE TABLE clusters (
  cluster_id INTEGER PRIMARY KEY, label TEXT, size INTEGER, first_seen INTEGER, last_seen INTEGER,
  sentiment REAL, themes TEXT, langs TEXT, terms TEXT, status TEXT,
  merged_into INTEGER, updated_at INTEGER);
CREATE TABLE cluster_examples (
  cluster_id INTEGER, rank INTEGER, record_id TEXT, text TEXT, lang TEXT,
  PRIMARY KEY (cluster_id, rank));
CREATE TABLE cluster_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, cluster_id INTEGER, event TEXT, at INTEGER, body TEXT);
CREATE TABLE dead_letters (
  topic TEXT, partition INTEGER, "offset" INTEGER, id TEXT, reason TEXT, text TEXT, at INTEGER,
  PRIMARY KEY (topic, partition, "offset"));
INSERT INTO meta VALUES ('schema_version', '1');

INSERT INTO records VALUES ('feedback', 0, 100, 'fb-001', 1794214800000, 'email', 'Jackets', NULL, 'de', 0.9, 1, 'rating', 'Meine Rückerstattung ist nach drei Wochen immer noch nicht angekommen.', NULL, -0.62, 'negative', NULL, NULL, NULL, NULL, 11, 1794214801500);
INSERT INTO record_themes VALUES ('feedback', 0, 100, 'refunds.not_received', 1, -0.62);
INSERT INTO records VALUES ('feedback', 1, 101, 'fb-002', 1794578400000, 'chat', 'Jackets', NULL, 'en', 0.9, NULL, NULL, 'Still waiting for my refund, it has been 3 weeks.', NULL, -0.55, 'negative', NULL, NULL, NULL, NULL, 11, 1794578401500);
INSERT INTO record_themes VALUES ('feedback', 1, 101, 'refunds.not_received', 1, -0.55);
INSERT INTO record_themes VALUES ('feedback', 1, 101, 'refunds.delay', 1, -0.5);
INSERT INTO records VALUES ('feedback', 2, 102, 'fb-003', 1794823200000, 'app', 'Shoes', NULL, 'fa', 0.9, 2, 'rating', 'Nordwind بازپرداخت را تایید کرد ولی هنوز پولی به حسابم نیامده است.', NULL, -0.48, 'negative', NULL, NULL, NULL, NULL, 11, 1794823201500);
INSERT INTO record_themes VALUES ('feedback', 2, 102, 'refunds.not_received', 1, -0.48);
INSERT INTO records VALUES ('feedback', 0, 103, 'fb-004', 1794913200000, 'email', 'Shoes', NULL, 'de', 0.9, 0, 'nps', 'Rückerstattung bestätigt, aber kein Geld auf dem Konto.', NULL, -0.41, 'negative', NULL, NULL, NULL, NULL, 11, 1794913201500);
INSERT INTO record_themes VALUES ('feedback', 0, 103, 'refunds.not_received', 1, -0.41);
INSERT INTO records VALUES ('feedback', 1, 104, 'fb-005', 1795104000000, 'web', 'Jackets', NULL, 'en', 0.9, 1, 'rating', 'Refund approved on the 2nd but nothing received yet & support says "5-7 days".', NULL, -0.58, 'negative', NULL, NULL, NULL, NULL, 11, 1795104001500);
INSERT INTO record_themes VALUES ('feedback', 1, 104, 'refunds.not_received', 1, -0.58);
INSERT INTO record_themes VALUES ('feedback', 1, 104, 'support.wait', 1, -0.3);
INSERT INTO records VALUES ('feedback', 2, 105, 'fb-006', 1795161600000, 'app', 'Jackets', NULL, 'fa', 0.9, NULL, NULL, 'هنوز پول برگشتی سفارشم را دریافت نکرده‌ام، سه هفته است منتظرم.', NULL, -0.52, 'negative', NULL, NULL, NULL, NULL, 11, 1795161601500);
INSERT INTO record_themes VALUES ('feedback', 2, 105, 'refunds.not_received', 1, -0.52);
INSERT INTO records VALUES ('feedback', 0, 106, 'fb-007', 1795302000000, 'chat', 'Shoes', NULL, 'en', 0.9, 2, 'nps', 'Where is my refund? I returned the shoes a month ago.', NULL, -0.45, 'negative', NULL, NULL, NULL, NULL, 11, 1795302001500);
INSERT INTO record_themes VALUES ('feedback', 0, 106, 'refunds.not_received', 1, -0.45);
INSERT INTO records VALUES ('feedback', 1, 107, 'fb-008', 1794398400000, 'email', 'Jackets', NULL, 'en', 0.9, NULL, NULL, 'Refund never arrived.', NULL, -0.5, 'negative', NULL, NULL, NULL, NULL, 14, 1794398401500);
INSERT INTO record_themes VALUES ('feedback', 1, 107, 'refunds.not_received', 1, -0.5);
INSERT INTO records VALUES ('feedback', 2, 108, 'fb-009', 1794992400000, 'web', 'Shoes', NULL, 'de', 0.9, NULL, NULL, 'Geld nicht zurückerhalten, sehr ärgerlich.', NULL, -0.66, 'negative', NULL, NULL, NULL, NULL, 14, 1794992401500);
INSERT INTO record_themes VALUES ('feedback', 2, 108, 'refunds.not_received', 1, -0.66);
INSERT INTO records VALUES ('feedback', 0, 109, 'fb-010', 1795244400000, 'app', 'Jackets', NULL, 'fa', 0.9, NULL, NULL, 'پولم هنوز برنگشته است.', NULL, -0.44, 'negative', NULL, NULL, NULL, NULL, 14, 1795244401500);
INSERT INTO record_themes VALUES ('feedback', 0, 109, 'refunds.not_received', 1, -0.44);
INSERT INTO records VALUES ('feedback', 1, 110, 'fb-011', 1793613600000, 'app', 'Nordwind App', NULL, 'en', 0.9, 1, 'rating', 'The app crashes every time I try to log in.', NULL, -0.6, 'negative', NULL, NULL, NULL, NULL, 12, 1793613601500);
INSERT INTO record_themes VALUES ('feedback', 1, 110, 'app.crash', 1, -0.6);
INSERT INTO record_themes VALUES ('feedback', 1, 110, 'app.login', 1, -0.6);
INSERT INTO records VALUES ('feedback', 2, 111, 'fb-012', 1793815200000, 'app', 'Nordwind App', NULL, 'es', 0.9, 2, 'rating', 'La aplicación se cierra al iniciar sesión.', NULL, -0.35, 'negative', NULL, NULL, NULL, NULL, 12, 1793815201500);
INSERT INTO record_themes VALUES ('feedback', 2, 111, 'app.crash', 1, -0.35);
INSERT INTO record_themes VALUES ('feedback', 2, 111, 'app.login', 1, -0.35);
INSERT INTO records VALUES ('feedback', 0, 112, 'fb-013', 1794081600000, 'app', 'Nordwind App', NULL, 'bn', 0.9, NULL, NULL, 'লগইন করার সময় অ্যাপটি বারবার বন্ধ হয়ে যায়।', NULL, -0.4, 'negative', NULL, NULL, NULL, NULL, 12, 1794081601500);
INSERT INTO record_themes VALUES ('feedback', 0, 112, 'app.crash', 1, -0.4);
INSERT INTO records VALUES ('feedback', 1, 113, 'fb-014', 1794315600000, 'web', 'Nordwind App', NULL, 'en', 0.9, 1, 'rating', '<script>alert(1)</script> app crashed on login again', NULL, -0.5, 'negative', NULL, NULL, NULL, NULL, 12, 1794315601500);
INSERT INTO record_themes VALUES ('feedback', 1, 113, 'app.crash', 1, -0.5);
INSERT INTO record_themes VALUES ('feedback', 1, 113, 'app.login', 1, -0.5);
INSERT INTO records VALUES ('feedback', 2, 114, 'fb-015', 1794474000000, 'app', 'Nordwind App', NULL, 'es', 0.9, 3, 'nps', 'No puedo entrar, la app se cierra sola.', NULL, -0.42, 'negative', NULL, NULL, NULL, NULL, 12, 1794474001500);
INSERT INTO record_themes VALUES ('feedback', 2, 114, 'app.login', 1, -0.42);
INSERT INTO records VALUES ('feedback', 0, 115, 'fb-016', 1794690000000, 'app', 'Nordwind App', NULL, 'en', 0.9, NULL, NULL, 'Login screen freezes, then the app closes.', NULL, -0.3, 'negative', NULL, NULL, NULL, NULL, 12, 1794690001500);
INSERT INTO record_themes VALUES ('feedback', 0, 115, 'app.login', 1, -0.3);
INSERT INTO record_themes VALUES ('feedback', 0, 115, 'app.crash', 1, -0.3);
INSERT INTO records VALUES ('feedback', 1, 116, 'fb-017', 1794841200000, 'app', 'Nordwind App', NULL, 'bn', 0.9, 2, 'rating', 'অ্যাপ খুললেই ক্র্যাশ করে', NULL, -0.45, 'negative', NULL, NULL, NULL, NULL, 12, 1794841201500);
INSERT INTO record_themes VALUES ('feedback', 1, 116, 'app.crash', 1, -0.45);
INSERT INTO records VALUES ('feedback', 2, 117, 'fb-018', 1795176000000, 'app', 'Nordwind App', NULL, 'en', 0.9, NULL, NULL, 'App crash after the update, cannot sign in.', NULL, -0.38, 'negative', NULL, NULL, NULL, NULL, 12, 1795176001500);
INSERT INTO record_themes VALUES ('feedback', 2, 117, 'app.crash', 1, -0.38);
INSERT INTO record_themes VALUES ('feedback', 2, 117, 'app.login', 1, -0.38);
INSERT INTO records VALUES ('feedback', 0, 118, 'fb-019', 1793530800000, 'email', 'Delivery', NULL, 'ta', 0.9, 2, 'rating', 'கூரியர் மிகவும் தாமதமாக வந்தது.', NULL, -0.5, 'negative', NULL, NULL, NULL, NULL, 13, 1793530801500);
INSERT INTO record_themes VALUES ('feedback', 0, 118, 'delivery.late', 1, -0.5);
INSERT INTO records VALUES ('feedback', 1, 119, 'fb-020', 1793718000000, 'web', 'Delivery', NULL, 'ta', 0.9, NULL, NULL, 'பார்சல் ஒரு வாரம் தாமதமாக வந்தது.', NULL, -0.4, 'negative', NULL, NULL, NULL, NULL, 13, 1793718001500);
INSERT INTO record_themes VALUES ('feedback', 1, 119, 'delivery.late', 1, -0.4);
INSERT INTO records VALUES ('feedback', 2, 120, 'fb-021', 1793869200000, 'email', 'Delivery', NULL, 'en', 0.9, 2, 'rating', 'Courier was two days late.', NULL, -0.35, 'negative', NULL, NULL, NULL, NULL, 13, 1793869201500);
INSERT INTO record_themes VALUES ('feedback', 2, 120, 'delivery.late', 1, -0.35);
INSERT INTO records VALUES ('feedback', 0, 121, 'fb-022', 1793984400000, 'chat', 'Delivery', NULL, 'de', 0.9, NULL, NULL, 'Der Kurier kam drei Tage zu spät.', NULL, -0.45, 'negative', NULL, NULL, NULL, NULL, 13, 1793984401500);
INSERT INTO record_themes VALUES ('feedback', 0, 121, 'delivery.late', 1, -0.45);
INSERT INTO records VALUES ('feedback', 1, 122, 'fb-023', 1794736800000, 'email', 'Delivery', NULL, 'en', 0.9, 3, 'rating', 'Delivery late again, the courier did not call.', NULL, -0.3, 'negative', NULL, NULL, NULL, NULL, 13, 1794736801500);
INSERT INTO record_themes VALUES ('feedback', 1, 122, 'delivery.late', 1, -0.3);
INSERT INTO records VALUES ('feedback', 2, 123, 'fb-024', 1794139200000, 'survey', 'Jackets', NULL, 'en', 0.9, 5, 'nps', 'Prices went up too much this season.', NULL, -0.3, 'negative', NULL, NULL, NULL, NULL, 16, 1794139201500);
INSERT INTO record_themes VALUES ('feedback', 2, 123, 'price', 1, -0.3);
INSERT INTO records VALUES ('feedback', 0, 124, 'fb-025', 1794942000000, 'survey', 'Shoes', NULL, 'de', 0.9, 6, 'nps', 'Viel zu teuer geworden.', NULL, -0.4, 'negative', NULL, NULL, NULL, NULL, 16, 1794942001500);
INSERT INTO record_themes VALUES ('feedback', 0, 124, 'price', 1, -0.4);
INSERT INTO records VALUES ('feedback', 1, 125, 'fb-026', 1793523600000, 'survey', 'Jackets', NULL, 'en', 0.9, 10, 'nps', 'Great service, thank you!', NULL, 0.8, 'positive', NULL, NULL, NULL, NULL, 0, 1793523601500);
INSERT INTO record_themes VALUES ('feedback', 1, 125, 'support.friendly', 1, 0.8);
INSERT INTO records VALUES ('feedback', 2, 126, 'fb-027', 1793700000000, 'survey', 'Shoes', NULL, 'es', 0.9, 9, 'nps', 'Muy buen servicio, gracias.', NULL, 0.7, 'positive', NULL, NULL, NULL, NULL, 0, 1793700001500);
INSERT INTO record_themes VALUES ('feedback', 2, 126, 'support.friendly', 1, 0.7);
INSERT INTO records VALUES ('feedback', 0, 127, 'fb-028', 1793793600000, 'app', 'Delivery', NULL, 'fa', 0.9, 5, 'rating', 'ارسال سریع بود، ممنون', NULL, 0.6, 'positive', NULL, NULL, NULL, NULL, 0, 1793793601500);
INSERT INTO record_themes VALUES ('feedback', 0, 127, 'delivery.fast', 1, 0.6);
INSERT INTO records VALUES ('feedback', 1, 128, 'fb-029', 1793887200000, 'app', 'Nordwind App', NULL, 'bn', 0.9, 5, 'rating', 'খুব ভালো পরিষেবা', NULL, 0.65, 'positive', NULL, NULL, NULL, NULL, 0, 1793887201500);
INSERT INTO records VALUES ('feedback', 2, 129, 'fb-030', 1793952000000, 'web', 'Delivery', NULL, 'ta', 0.9, 4, 'rating', 'நல்ல சேவை, நன்றி', NULL, 0.55, 'positive', NULL, NULL, NULL, NULL, 0, 1793952001500);
INSERT INTO records VALUES ('feedback', 0, 130, 'fb-031', 1794049200000, 'email', 'Jackets', NULL, 'de', 0.9, 5, 'rating', 'Alles super, gerne wieder.', NULL, 0.75, 'positive', NULL, NULL, NULL, NULL, 0, 1794049201500);
INSERT INTO records VALUES ('feedback', 1, 131, 'fb-032', 1794240000000, 'chat', 'Shoes', NULL, 'en', 0.9, 9, 'nps', 'The support agent was very helpful.', NULL, 0.7, 'positive', NULL, NULL, NULL, NULL, 0, 1794240001500);
INSERT INTO record_themes VALUES ('feedback', 1, 131, 'support.friendly', 1, 0.7);
INSERT INTO records VALUES ('feedback', 2, 132, 'fb-033', 1794301200000, 'web', 'Jackets', NULL, 'en', 0.9, NULL, NULL, 'Ordered a blue jacket in size M.', NULL, 0.0, 'neutral', NULL, NULL, NULL, NULL, 0, 1794301201500);
INSERT INTO records VALUES ('feedback', 0, 133, 'fb-034', 1794409200000, 'email', 'Shoes', NULL, 'de', 0.9, NULL, NULL, 'Bestellung 1234: bitte Lieferadresse ändern.', NULL, 0.0, 'neutral', NULL, NULL, NULL, NULL, 0, 1794409201500);
INSERT INTO records VALUES ('feedback', 1, 134, 'fb-035', 1794502800000, 'chat', 'Jackets', NULL, 'es', 0.9, NULL, NULL, '¿Tienen tallas grandes?', NULL, 0.0, 'neutral', NULL, NULL, NULL, NULL, 0, 1794502801500);
INSERT INTO records VALUES ('feedback', 2, 135, 'fb-036', 1794564000000, 'chat', 'Shoes', NULL, 'en', 0.9, NULL, NULL, 'How do I change my address?', NULL, 0.0, 'neutral', NULL, NULL, NULL, NULL, 0, 1794564001500);
INSERT INTO records VALUES ('feedback', 0, 136, 'fb-037', 1794664800000, 'chat', 'Jackets', NULL, 'en', 0.9, 4, 'nps', 'Support kept me on hold for 40 minutes.', NULL, -0.5, 'negative', NULL, NULL, NULL, NULL, 0, 1794664801500);
INSERT INTO record_themes VALUES ('feedback', 0, 136, 'support.wait', 1, -0.5);
INSERT INTO records VALUES ('feedback', 1, 137, 'fb-038', 1795006800000, 'app', 'Delivery', NULL, 'en', 0.9, 5, 'rating', 'Fast delivery, well packed.', NULL, 0.6, 'positive', NULL, NULL, NULL, NULL, 0, 1795006801500);
INSERT INTO record_themes VALUES ('feedback', 1, 137, 'delivery.fast', 1, 0.6);
INSERT INTO records VALUES ('feedback', 2, 138, 'fb-039', 1795078800000, 'web', 'Delivery', NULL, 'fa', 0.9, NULL, NULL, 'آیا ارسال به شیراز دارید؟', NULL, 0.0, 'neutral', NULL, NULL, NULL, NULL, 0, 1795078801500);
INSERT INTO records VALUES ('feedback', 0, 139, 'fb-040', 1795291200000, 'web', '"><svg onload=alert(1)>', NULL, 'und', 0.9, NULL, NULL, 'ok', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 1795291201500);
INSERT INTO clusters VALUES (11, 'refund not received', 7, 1793491200000, 1795219200000, -0.5, '[]', '{}', '["refund","not","received"]', 'live', NULL, 1795305600000);
INSERT INTO clusters VALUES (12, 'app crash login', 8, 1793491200000, 1795219200000, -0.5, '[]', '{}', '["app","crash","login"]', 'live', NULL, 1795305600000);
INSERT INTO clusters VALUES (13, 'courier late', 5, 1793491200000, 1795219200000, -0.5, '[]', '{}', '["courier","late"]', 'live', NULL, 1795305600000);
INSERT INTO clusters VALUES (14, 'refund missing', 3, 1793491200000, 1795219200000, -0.5, '[]', '{}', '["refund","missing"]', 'merged', 11, 1795305600000);
INSERT INTO clusters VALUES (15, 'old sizing chart', 0, 1793491200000, 1795219200000, -0.5, '[]', '{}', '["size","chart"]', 'retired', NULL, 1795305600000);
INSERT INTO clusters VALUES (16, NULL, 2, 1793491200000, 1795219200000, -0.5, '[]', '{}', '["price","increase"]', 'live', NULL, 1795305600000);
INSERT INTO cluster_examples VALUES (11, 1, 'fb-003', 'Nordwind بازپرداخت را تایید کرد ولی هنوز پولی به حسابم نیامده است.', 'fa');
INSERT INTO cluster_examples VALUES (11, 2, 'fb-001', 'Meine Rückerstattung ist nach drei Wochen immer noch nicht angekommen.', 'de');
INSERT INTO cluster_examples VALUES (11, 3, 'fb-002', 'Still waiting for my refund, it has been 3 weeks.', 'en');
INSERT INTO cluster_examples VALUES (12, 1, 'fb-014', '<script>alert(1)</script> app crashed on login again', 'en');
INSERT INTO cluster_examples VALUES (12, 2, 'fb-011', 'The app crashes every time I try to log in.', 'en');
INSERT INTO cluster_examples VALUES (12, 3, 'fb-012', 'La aplicación se cierra al iniciar sesión.', 'es');
INSERT INTO cluster_examples VALUES (14, 1, 'fb-008', 'Refund never arrived.', 'en');
INSERT INTO cluster_examples VALUES (16, 1, 'fb-024', 'Prices went up too much this season.', 'en');
INSERT INTO dead_letters VALUES ('feedback', 0, 999, 'fb-bad-1', 'tag: text too long', 'xxx', 1793923200000);
INSERT INTO dead_letters VALUES ('feedback', 1, 998, 'fb-bad-2', 'tokenize: invalid UTF-8', '', 1794268800000);
