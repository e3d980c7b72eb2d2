print("lyre")
